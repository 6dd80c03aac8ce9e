// sc::Json and sc::Error (scluster/types.h) on top of common/json.h.
#include "json.h"
#include "sc_protocol.h"
#include "scluster/types.h"

namespace sc {

Json Json::parse(std::string_view text) {
  // The text is kept as given (whitespace included): it is valid JSON, which is all Json needs.
  if (!proto::valid_json(text)) return Json();
  return Json(std::string(text));
}

Json Json::of(const json::Value& v) { return Json(json::to_string(v)); }

Json Json::string(std::string_view s) {
  std::string t;
  json::write_string(s, &t);
  return Json(std::move(t));
}

bool Json::to_value(json::Value* out) const {
  if (absent()) return false;
  std::string err;
  return json::parse(text_, out, &err);
}

Json Json::get(std::string_view key) const {
  json::Value v;
  if (!to_value(&v) || !v.is_object()) return Json();
  const json::Value* m = v.find(key);
  return m ? Json::of(*m) : Json();
}

bool Json::as_string(std::string* out) const {
  if (text_.empty() || text_[0] != '"') return false;
  return proto::decode_string(text_, out);
}

std::string Error::to_json() const {
  std::string out;
  proto::encode_error(name, message, extra, &out);
  return out;
}

}  // namespace sc
