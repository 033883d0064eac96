//! An ordered tree of maps, lists and scalars, written as JSON or YAML in the order it
//! was built: templates read best in the order their reference documents them.

/// A JSON-like value whose maps keep their entries' order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Map(Vec<(String, Node)>),
    List(Vec<Node>),
    Text(String),
    Int(i64),
    Bool(bool),
}

/// A map of `entries`, in their order.
pub(crate) fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Node)>) -> Node {
    Node::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// A string.
pub(crate) fn text(value: impl Into<String>) -> Node {
    Node::Text(value.into())
}

impl Node {
    /// Indented JSON, ending with a newline.
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(0, &mut out);
        out.push('\n');
        out
    }

    /// Block YAML, ending with a newline. Strings are double-quoted (a JSON string is a
    /// YAML double-quoted string), so that no value is read as another type.
    pub(crate) fn to_yaml(&self) -> String {
        let mut out = String::new();
        self.write_yaml(0, &mut out);
        out
    }

    fn write_json(&self, indent: usize, out: &mut String) {
        let pad = |n: usize, out: &mut String| out.push_str(&" ".repeat(n));
        match self {
            Node::Map(entries) if entries.is_empty() => out.push_str("{}"),
            Node::List(items) if items.is_empty() => out.push_str("[]"),
            Node::Map(entries) => {
                out.push_str("{\n");
                for (at, (key, value)) in entries.iter().enumerate() {
                    pad(indent + 2, out);
                    out.push_str(&quoted(key));
                    out.push_str(": ");
                    value.write_json(indent + 2, out);
                    out.push_str(if at + 1 < entries.len() { ",\n" } else { "\n" });
                }
                pad(indent, out);
                out.push('}');
            }
            Node::List(items) => {
                out.push_str("[\n");
                for (at, item) in items.iter().enumerate() {
                    pad(indent + 2, out);
                    item.write_json(indent + 2, out);
                    out.push_str(if at + 1 < items.len() { ",\n" } else { "\n" });
                }
                pad(indent, out);
                out.push(']');
            }
            scalar => out.push_str(&scalar.scalar()),
        }
    }

    fn write_yaml(&self, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match self {
            Node::Map(entries) => {
                for (key, value) in entries {
                    out.push_str(&pad);
                    out.push_str(key);
                    out.push(':');
                    value.write_yaml_child(indent, out);
                }
            }
            Node::List(items) => {
                for item in items {
                    out.push_str(&pad);
                    out.push('-');
                    match item {
                        // A map's first entry goes on the dash's line.
                        Node::Map(entries) if !entries.is_empty() => {
                            let mut block = String::new();
                            item.write_yaml(indent + 2, &mut block);
                            out.push(' ');
                            out.push_str(&block[indent + 2..]);
                        }
                        _ => item.write_yaml_child(indent, out),
                    }
                }
            }
            scalar => {
                out.push_str(&pad);
                out.push_str(&scalar.scalar());
                out.push('\n');
            }
        }
    }

    /// The value after a `key:` or a `-`: a scalar or an empty collection on the same
    /// line, a collection on the lines below, indented.
    fn write_yaml_child(&self, indent: usize, out: &mut String) {
        match self {
            Node::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
            Node::List(items) if items.is_empty() => out.push_str(" []\n"),
            Node::Map(_) | Node::List(_) => {
                out.push('\n');
                self.write_yaml(indent + 2, out);
            }
            scalar => {
                out.push(' ');
                out.push_str(&scalar.scalar());
                out.push('\n');
            }
        }
    }

    fn scalar(&self) -> String {
        match self {
            Node::Text(value) => quoted(value),
            Node::Int(value) => value.to_string(),
            Node::Bool(value) => value.to_string(),
            Node::Map(_) | Node::List(_) => unreachable!("collections are not scalars"),
        }
    }
}

/// `value` as a double-quoted JSON string, escapes included.
pub(crate) fn quoted(value: &str) -> String {
    serde_json::to_string(value).expect("a string always prints")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Node {
        map([
            ("b", text("x \"y\"\n")),
            (
                "a",
                Node::List(vec![
                    Node::Int(1),
                    map([("k", Node::Bool(true)), ("l", Node::List(vec![]))]),
                ]),
            ),
            ("e", map::<&str>([])),
        ])
    }

    #[test]
    fn json_keeps_the_order_and_parses_back() {
        let json = sample().to_json();
        assert!(
            json.find("\"b\"").unwrap() < json.find("\"a\"").unwrap(),
            "{json}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({ "b": "x \"y\"\n", "a": [1, { "k": true, "l": [] }], "e": {} })
        );
    }

    #[test]
    fn yaml_is_block_style_with_quoted_strings() {
        assert_eq!(
            sample().to_yaml(),
            "b: \"x \\\"y\\\"\\n\"\na:\n  - 1\n  - k: true\n    l: []\ne: {}\n"
        );
    }
}
