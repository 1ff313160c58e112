// "did you mean" suggestions for misspelled keys, arguments and type names.
#include <algorithm>
#include <cctype>

#include "config/registry.h"

namespace mini::config {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Case-insensitive edit distance where swapping two neighbours costs one edit
// like insert, delete and substitute do ("optimal string alignment"): plain
// Levenshtein would charge two for the commonest typo, "MNSIT" for "MNIST".
size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows: i-2, i-1 and i of the dynamic-programming table.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      bool same = lower(a[i - 1]) == lower(b[j - 1]);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1])) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (prefix.size() > text.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (lower(text[i]) != lower(prefix[i])) return false;
  }
  return true;
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  // Typos cost at most a third of the word; a word that extends or shortens a
  // candidate ("lr_rate" for "lr", "num" for "num_classes") is close whatever
  // the distance, as long as the shared part is not a single letter.
  const size_t max_typos = std::max<size_t>(1, word.size() / 3);
  const std::string* best = nullptr;
  size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    size_t distance = edit_distance(word, candidate);
    bool close = distance <= max_typos ||
                 (std::min(word.size(), candidate.size()) >= 2 &&
                  (starts_with_ignoring_case(word, candidate) || starts_with_ignoring_case(candidate, word)));
    if (close && (best == nullptr || distance < best_distance)) {
      best = &candidate;
      best_distance = distance;
    }
  }
  return best ? *best : std::string();
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string match = closest_match(word, candidates);
  return match.empty() ? "" : "; did you mean '" + match + "'?";
}

}  // namespace mini::config
