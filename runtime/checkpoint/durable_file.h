#pragma once
// Crash-safe file system steps for checkpoints. A rename is atomic, but it is
// only durable once the directory holding the new name is fsynced; file data
// is only durable once the file itself is fsynced. These helpers do both and
// throw mini::ValueError naming the path and the OS error.
#include <filesystem>
#include <string>
#include <string_view>

namespace mini::runtime::detail {

// fsync of a directory (makes renames and creations inside it durable).
void fsync_directory(const std::filesystem::path& directory);

// Replaces `path` with `contents` atomically: writes `<path>.tmp-<suffix>`,
// fsyncs it, renames it over `path` and fsyncs the parent directory.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// rename(2) followed by an fsync of the destination's directory.
void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to);

// "<pid>-<8 random hex digits>": makes temporary names unique across
// processes and across saves within one process.
std::string unique_suffix();

// The whole contents of a small file. Throws mini::ValueError naming it.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace mini::runtime::detail
