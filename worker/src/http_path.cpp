// Public-directory path resolution (http_path.h).
#include "http_path.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <memory>

namespace sc::http {

PathResult clean_path(std::string_view path, std::string* rel) {
  rel->clear();
  if (path.empty() || path[0] != '/') return PathResult::BadPath;
  size_t i = 1;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(i, slash - i);
    i = slash + 1;
    if (seg.empty()) continue;                      // "//" (and the trailing '/')
    if (seg[0] == '.') return PathResult::BadPath;  // ".", "..", dotfiles
    for (char c : seg)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\')
        return PathResult::BadPath;
    if (!rel->empty()) rel->push_back('/');
    rel->append(seg);
  }
  if (rel->empty() || path.back() == '/') {
    if (!rel->empty()) rel->push_back('/');
    rel->append("index.html");
  }
  return PathResult::Ok;
}

namespace {

// realpath() of `p` when it is a regular file under `root` (or equal to it, never a file).
bool inside(const std::string& root, const std::string& p, std::string* real, bool* is_dir) {
  std::unique_ptr<char, decltype(&std::free)> r(realpath(p.c_str(), nullptr), &std::free);
  if (!r) return false;
  std::string_view rv(r.get());
  if (rv.size() <= root.size() || rv.compare(0, root.size(), root) != 0 ||
      (root != "/" && rv[root.size()] != '/'))
    return false;
  struct stat st;
  if (stat(r.get(), &st) != 0) return false;
  *is_dir = S_ISDIR(st.st_mode);
  if (!*is_dir && !S_ISREG(st.st_mode)) return false;
  real->assign(rv);
  return true;
}

}  // namespace

PathResult resolve_public(const std::string& root, std::string_view path, std::string* file) {
  std::string rel;
  PathResult r = clean_path(path, &rel);
  if (r != PathResult::Ok) return r;
  std::string real;
  bool is_dir = false;
  if (!inside(root, root + "/" + rel, &real, &is_dir)) return PathResult::NotFound;
  if (is_dir) {  // "/docs" names the directory "docs": its index.html
    if (!inside(root, real + "/index.html", &real, &is_dir) || is_dir) return PathResult::NotFound;
  }
  *file = std::move(real);
  return PathResult::Ok;
}

}  // namespace sc::http
