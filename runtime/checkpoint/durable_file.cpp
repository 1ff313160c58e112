#include "runtime/checkpoint/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "tensor/error.h"

namespace mini::runtime::detail {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Closes the descriptor on every path out of a function.
struct FileDescriptor {
  int fd = -1;
  explicit FileDescriptor(int value) : fd(value) {}
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
};

}  // namespace

void fsync_directory(const std::filesystem::path& directory) {
  FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  MINI_CHECK(dir.fd >= 0, "cannot open directory {} to fsync it: {}", directory.string(), errno_text());
  MINI_CHECK(::fsync(dir.fd) == 0, "fsync of directory {} failed: {}", directory.string(), errno_text());
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  const std::filesystem::path temp = path.string() + ".tmp-" + unique_suffix();
  {
    FileDescriptor file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    MINI_CHECK(file.fd >= 0, "cannot create {}: {}", temp.string(), errno_text());
    size_t written = 0;
    while (written < contents.size()) {
      const ssize_t count = ::write(file.fd, contents.data() + written, contents.size() - written);
      if (count < 0 && errno == EINTR) continue;
      if (count < 0) {
        const std::string reason = errno_text();
        ::unlink(temp.c_str());
        MINI_CHECK(false, "cannot write {}: {}", path.string(), reason);
      }
      written += static_cast<size_t>(count);
    }
    if (::fsync(file.fd) != 0) {
      const std::string reason = errno_text();
      ::unlink(temp.c_str());
      MINI_CHECK(false, "fsync of {} failed: {}", path.string(), reason);
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = errno_text();
    ::unlink(temp.c_str());
    MINI_CHECK(false, "cannot rename {} to {}: {}", temp.string(), path.string(), reason);
  }
  fsync_directory(path.parent_path().empty() ? "." : path.parent_path());
}

void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to) {
  MINI_CHECK(::rename(from.c_str(), to.c_str()) == 0, "cannot rename {} to {}: {}", from.string(), to.string(),
             errno_text());
  fsync_directory(to.parent_path().empty() ? "." : to.parent_path());
}

std::string unique_suffix() {
  static thread_local std::mt19937 engine{std::random_device{}()};
  return fmt::format("{}-{:08x}", ::getpid(), engine());
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  MINI_CHECK(in.good(), "cannot open {}: {}", path.string(), errno_text());
  std::ostringstream text;
  text << in.rdbuf();
  MINI_CHECK(!in.bad(), "cannot read {}: {}", path.string(), errno_text());
  return std::move(text).str();
}

}  // namespace mini::runtime::detail
