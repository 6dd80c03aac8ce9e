// Maps the path of an HTTP request to a file under the app's public/ directory, refusing every
// way out of it.
//
// Why ours: lws decodes %xx and folds "/../" before LWS_CALLBACK_HTTP, but what reaches us is
// still the client's bytes, and a symlink inside public/ can point anywhere; the check that
// nothing escapes belongs next to the open, in one function that a unit test feeds garbage.
//
// Contract:
// - clean_path is pure: it takes the decoded path (no query string) and gives the relative path
//   to open: segments joined by '/', never empty, ".", "..", starting with '.' (dotfiles such
//   as .git or .env are not served), or holding a byte below 0x20, 0x7f or '\\'.  A path that
//   ends in '/' (or is "/") names the directory's index.html.  A path not starting with '/' is
//   BadPath.
// - resolve_public adds the file system: `root` must be the realpath of public/.  The file is
//   realpath'd (every symlink followed) and must still lie under `root` and be a regular file
//   (a directory without the trailing '/' serves its index.html too).  *file is that real path.
// - Neither allocates more than the path's length; neither reads past `path`.
#pragma once
#include <string>
#include <string_view>

namespace sc::http {

enum class PathResult {
  Ok,
  BadPath,   // malformed or forbidden (answered 404 as well: nothing is disclosed)
  NotFound,  // clean, but no regular file under the root
};

PathResult clean_path(std::string_view path, std::string* rel);
PathResult resolve_public(const std::string& root, std::string_view path, std::string* file);

}  // namespace sc::http
