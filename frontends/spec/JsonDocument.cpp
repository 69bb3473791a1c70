//===- JsonDocument.cpp - JSON with the position of every key -------------===//
//
// nlohmann's SAX events carry no positions, so the text is fed through an
// iterator that publishes how far the lexer has read. An event fires right
// after its token is scanned, and between two events the text holds only
// whitespace, ':' and ',' (plus one character of number lookahead, which is
// always one of those or a closing bracket), so a token starts at the first
// other character after the previous event's read position.
//
//===----------------------------------------------------------------------===//

#include "frontends/spec/JsonDocument.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <iterator>
#include <vector>

using namespace mlir;
using namespace attnc;
using json = nlohmann::json;

namespace {

/// A char iterator that records the furthest position read in `progress`.
struct ProgressIterator {
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char *;
  using reference = const char &;

  const char *at;
  const char **progress;

  reference operator*() const { return *at; }
  ProgressIterator &operator++() {
    *progress = ++at;
    return *this;
  }
  ProgressIterator operator++(int) {
    ProgressIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const ProgressIterator &o) const { return at == o.at; }
  bool operator!=(const ProgressIterator &o) const { return at != o.at; }
};

} // namespace

namespace attnc {

/// Builds the DOM and the position maps from SAX events.
class JsonLocatingSax {
public:
  JsonLocatingSax(JsonDocument &doc, const char **progress)
      : doc(doc), progress(progress) {}

  bool null() { return value(json()); }
  bool boolean(bool v) { return value(json(v)); }
  bool number_integer(json::number_integer_t v) { return value(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return value(json(v)); }
  bool number_float(json::number_float_t v, const std::string &) {
    return value(json(v));
  }
  bool string(std::string &v) { return value(json(std::move(v))); }
  bool binary(json::binary_t &v) { return value(json(std::move(v))); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(std::string &k) {
    size_t start = tokenStart();
    Frame &frame = frames.back();
    if (frame.node->contains(k)) {
      errorOffset = start;
      errorMessage = "duplicate key '" + k + "'";
      return false;
    }
    frame.key = k;
    doc.keyOffsets[JsonDocument::childPointer(frame.pointer, k)] = start;
    return true;
  }

  bool parse_error(std::size_t position, const std::string &,
                   const json::exception &ex) {
    // nlohmann counts the offending character as read.
    errorOffset = position > 0 ? position - 1 : 0;
    errorMessage = ex.what();
    size_t colon = errorMessage.find(": ");
    if (colon != std::string::npos)
      errorMessage = errorMessage.substr(colon + 2);
    return false;
  }

  size_t errorOffset = 0;
  std::string errorMessage;

private:
  struct Frame {
    json *node;
    std::string pointer;
    std::string key;
  };

  size_t tokenStart() {
    const std::string &text = doc.text;
    size_t i = consumed;
    if (i == 0 && text.compare(0, 3, "\xEF\xBB\xBF") == 0)
      i = 3;
    while (i < text.size() &&
           (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
            text[i] == '\r' || text[i] == ':' || text[i] == ','))
      ++i;
    consumed = *progress - text.data();
    return i;
  }

  /// Stores `v` in the current container; returns it and its pointer.
  json *insert(json v, std::string &pointer) {
    size_t start = tokenStart();
    if (frames.empty()) {
      doc.rootValue = std::move(v);
      pointer.clear();
      doc.valueOffsets[pointer] = start;
      return &doc.rootValue;
    }
    Frame &frame = frames.back();
    json *slot;
    if (frame.node->is_array()) {
      pointer = frame.pointer + "/" + std::to_string(frame.node->size());
      frame.node->push_back(std::move(v));
      slot = &frame.node->back();
    } else {
      pointer = JsonDocument::childPointer(frame.pointer, frame.key);
      slot = &((*frame.node)[frame.key] = std::move(v));
    }
    doc.valueOffsets[pointer] = start;
    return slot;
  }

  bool value(json v) {
    std::string pointer;
    insert(std::move(v), pointer);
    return true;
  }

  bool open(json container) {
    std::string pointer;
    json *node = insert(std::move(container), pointer);
    frames.push_back({node, pointer, ""});
    return true;
  }

  bool close() {
    tokenStart();
    frames.pop_back();
    return true;
  }

  JsonDocument &doc;
  const char **progress;
  size_t consumed = 0;
  std::vector<Frame> frames;
};

} // namespace attnc

std::string JsonDocument::childPointer(StringRef parent, StringRef key) {
  std::string result = parent.str() + "/";
  for (char c : key) {
    if (c == '~')
      result += "~0";
    else if (c == '/')
      result += "~1";
    else
      result += c;
  }
  return result;
}

Location JsonDocument::locAt(size_t offset) const {
  offset = std::min(offset, text.size());
  unsigned line = 1, column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return FileLineColLoc::get(context, filename, line, column);
}

Location JsonDocument::valueLoc(StringRef pointer) const {
  auto it = valueOffsets.find(pointer);
  return locAt(it == valueOffsets.end() ? valueOffsets.lookup("") : it->second);
}

Location JsonDocument::keyLoc(StringRef pointer) const {
  auto it = keyOffsets.find(pointer);
  return it == keyOffsets.end() ? valueLoc(pointer) : locAt(it->second);
}

FailureOr<JsonDocument> JsonDocument::parse(StringRef text, StringRef filename,
                                            MLIRContext &context) {
  JsonDocument doc(text, filename, context);
  const char *begin = doc.text.data();
  const char *progress = begin;
  JsonLocatingSax sax(doc, &progress);
  ProgressIterator first{begin, &progress};
  ProgressIterator last{begin + doc.text.size(), &progress};
  if (json::sax_parse(first, last, &sax))
    return doc;
  emitError(doc.locAt(sax.errorOffset)) << sax.errorMessage;
  return failure();
}
