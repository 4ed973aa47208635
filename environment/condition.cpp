#include "environment/condition.hpp"

#include <cctype>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "core/text.hpp"

namespace agentco {

// A recursive-descent parser over a token list: the grammar is five rules, and no packaged
// expression library speaks of messages (yaml-cpp and nlohmann-json have none).
struct Condition::Node {
  enum Kind { kAnd, kOr, kNot, kCompare, kTruthy } kind;
  std::shared_ptr<const Node> left, right;  // kAnd/kOr: both; kNot: left
  std::string operand;                      // kCompare/kTruthy: content | round | exit | payload.x.y
  std::string op;                           // kCompare
  nlohmann::json value;                     // kCompare
};

namespace {

struct Token {
  enum Kind { kWord, kText, kNumber, kOp, kOpen, kClose, kEnd } kind;
  std::string text;
  std::size_t at = 0;
};

Result<std::vector<Token>> tokenize(const std::string& s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(' || c == ')') {
      out.push_back({c == '(' ? Token::kOpen : Token::kClose, std::string(1, c), i});
      ++i;
    } else if (c == '\'' || c == '"') {
      const std::size_t end = s.find(c, i + 1);
      if (end == std::string::npos)
        return make_error("condition", fmt::format("the text that starts at column {} is not closed with {}", i + 1, c));
      out.push_back({Token::kText, s.substr(i + 1, end - i - 1), i});
      i = end + 1;
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      std::string op(1, c);
      if (i + 1 < s.size() && s[i + 1] == '=') op += '=';
      if (op == "=" || op == "!")
        return make_error("condition", fmt::format("'{}' at column {}: use == or !=", op, i + 1));
      out.push_back({Token::kOp, op, i});
      i += op.size();
    } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      std::size_t end = i + 1;
      while (end < s.size() && (std::isdigit(static_cast<unsigned char>(s[end])) || s[end] == '.')) ++end;
      out.push_back({Token::kNumber, s.substr(i, end - i), i});
      i = end;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t end = i + 1;
      while (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '_' || s[end] == '.' ||
                                s[end] == '-'))
        ++end;
      out.push_back({Token::kWord, s.substr(i, end - i), i});
      i = end;
    } else {
      return make_error("condition", fmt::format("unexpected '{}' at column {}", c, i + 1));
    }
  }
  out.push_back({Token::kEnd, "", s.size()});
  return out;
}

using NodePtr = std::shared_ptr<const Condition::Node>;

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<NodePtr> parse() {
    auto node = expr();
    if (!node) return node;
    if (peek().kind != Token::kEnd) return expected("and, or or the end", peek());
    return node;
  }
  bool reads_loop = false;

 private:
  const Token& peek() const { return tokens_[pos_]; }
  bool word(const char* w) const { return peek().kind == Token::kWord && to_lower(peek().text) == w; }
  static Error expected(const std::string& what, const Token& got) {
    return Error{"condition", fmt::format("expected {} at column {}, found {}", what, got.at + 1,
                                          got.kind == Token::kEnd ? std::string("the end") : "'" + got.text + "'")};
  }

  Result<NodePtr> expr() {
    auto left = term();
    while (left && word("or")) {
      ++pos_;
      auto right = term();
      if (!right) return right;
      left = NodePtr(new Condition::Node{Condition::Node::kOr, *left, *right, {}, {}, {}});
    }
    return left;
  }
  Result<NodePtr> term() {
    auto left = factor();
    while (left && word("and")) {
      ++pos_;
      auto right = factor();
      if (!right) return right;
      left = NodePtr(new Condition::Node{Condition::Node::kAnd, *left, *right, {}, {}, {}});
    }
    return left;
  }
  Result<NodePtr> factor() {
    if (word("not")) {
      ++pos_;
      auto inner = factor();
      if (!inner) return inner;
      return NodePtr(new Condition::Node{Condition::Node::kNot, *inner, nullptr, {}, {}, {}});
    }
    if (peek().kind == Token::kOpen) {
      ++pos_;
      auto inner = expr();
      if (!inner) return inner;
      if (peek().kind != Token::kClose) return expected("')'", peek());
      ++pos_;
      return inner;
    }
    if (peek().kind != Token::kWord) return expected("content, round, exit, payload.FIELD, not or '('", peek());
    const Token& name = peek();
    const std::string operand = name.text;
    const bool known = operand == "content" || operand == "round" || operand == "exit" ||
                       (operand.starts_with("payload.") && operand.size() > 8);
    if (!known) return expected("content, round, exit or payload.FIELD", name);
    if (operand == "round" || operand == "exit") reads_loop = true;
    ++pos_;
    std::string op;
    if (peek().kind == Token::kOp) op = peek().text;
    else if (word("contains")) op = "contains";
    else if (word("starts_with")) op = "starts_with";
    if (op.empty()) return NodePtr(new Condition::Node{Condition::Node::kTruthy, nullptr, nullptr, operand, {}, {}});
    ++pos_;
    const Token& v = peek();
    nlohmann::json value;
    if (v.kind == Token::kText) value = v.text;
    else if (v.kind == Token::kNumber) value = std::strtod(v.text.c_str(), nullptr);
    else if (word("true")) value = true;
    else if (word("false")) value = false;
    else if (word("null")) value = nullptr;
    else return expected("a value ('text', a number, true, false or null)", v);
    ++pos_;
    return NodePtr(new Condition::Node{Condition::Node::kCompare, nullptr, nullptr, operand, op, std::move(value)});
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
};

nlohmann::json operand_value(const std::string& operand, const Message& m) {
  return message_field(m, operand);
}

}  // namespace

nlohmann::json message_field(const Message& m, const std::string& operand) {
  if (operand == "content") return m.content;
  if (operand == "round") return m.round;
  if (operand == "exit") return m.exit;
  const nlohmann::json* at = &m.payload;
  std::size_t from = 8;  // after "payload."
  while (from <= operand.size()) {
    std::size_t dot = operand.find('.', from);
    const std::string key = operand.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    if (!at->is_object() || !at->contains(key)) return nullptr;
    at = &(*at)[key];
    if (dot == std::string::npos) break;
    from = dot + 1;
  }
  return *at;
}

namespace {

bool truthy(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  if (v.is_array() || v.is_object()) return !v.empty();
  return false;
}

// Text as compared: strings as they are, other values as JSON ("true", "3").
std::string as_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned()) return std::to_string(v.get<long long>());
  return v.dump();
}

std::optional<double> as_number(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return d;
  }
  return std::nullopt;
}

bool compare(const nlohmann::json& left, const std::string& op, const nlohmann::json& right) {
  if (op == "contains") {
    if (left.is_array()) {
      for (const auto& item : left)
        if (to_lower(as_text(item)) == to_lower(as_text(right))) return true;
      return false;
    }
    return to_lower(as_text(left)).find(to_lower(as_text(right))) != std::string::npos;
  }
  if (op == "starts_with") {
    std::string text = to_lower(as_text(left));
    const auto first = text.find_first_not_of(" \t\r\n");
    return text.substr(first == std::string::npos ? text.size() : first).starts_with(to_lower(as_text(right)));
  }
  if (op == "==" || op == "!=") {
    bool equal;
    if (right.is_null() || left.is_null()) equal = left.is_null() && right.is_null();
    else if (right.is_boolean()) equal = truthy(left) == right.get<bool>() && (left.is_boolean() || left.is_string());
    else if (auto a = as_number(left), b = as_number(right); a && b && right.is_number()) equal = *a == *b;
    else equal = to_lower(as_text(left)) == to_lower(as_text(right));
    return op == "==" ? equal : !equal;
  }
  auto a = as_number(left), b = as_number(right);
  if (!a || !b) return false;
  if (op == "<") return *a < *b;
  if (op == "<=") return *a <= *b;
  if (op == ">") return *a > *b;
  return *a >= *b;
}

bool eval(const Condition::Node& n, const Message& m) {
  switch (n.kind) {
    case Condition::Node::kAnd: return eval(*n.left, m) && eval(*n.right, m);
    case Condition::Node::kOr: return eval(*n.left, m) || eval(*n.right, m);
    case Condition::Node::kNot: return !eval(*n.left, m);
    case Condition::Node::kTruthy: return truthy(operand_value(n.operand, m));
    case Condition::Node::kCompare: return compare(operand_value(n.operand, m), n.op, n.value);
  }
  return false;
}

}  // namespace

Result<Condition> Condition::parse(const std::string& text) {
  auto tokens = tokenize(text);
  if (!tokens) return tokens.error();
  Parser parser(std::move(*tokens));
  auto root = parser.parse();
  if (!root) return root.error();
  Condition c;
  c.text_ = text;
  c.root_ = std::move(*root);
  c.reads_loop_ = parser.reads_loop;
  return c;
}

bool Condition::holds(const Message& message) const { return root_ && eval(*root_, message); }

}  // namespace agentco
