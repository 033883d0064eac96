//! Key templates as written in attributes: `ACCOUNT#{id}` parsed into literal text and
//! field placeholders.

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(String),
    Field(String),
}

/// Parses a template; `Err` says what is wrong with it.
pub fn parse(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        match c {
            '{' => {
                let mut field = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some('{') => return Err("a placeholder cannot contain `{`".to_owned()),
                        Some(c) => field.push(c),
                        None => {
                            return Err(format!("placeholder `{{{field}` is not closed with `}}`"))
                        }
                    }
                }
                let field = field.trim().to_owned();
                if field.is_empty() {
                    return Err("empty placeholder `{}`: name a field, such as `{id}`".to_owned());
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                } else if matches!(pieces.last(), Some(Piece::Field(_))) {
                    return Err(format!(
                        "placeholder `{{{field}}}` follows another one directly: put literal text \
                         such as `#` between them, so the key reads back unambiguously"
                    ));
                }
                pieces.push(Piece::Field(field));
            }
            '}' => return Err("`}` without an opening `{`".to_owned()),
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    if pieces.is_empty() {
        return Err("a key template cannot be empty".to_owned());
    }
    Ok(pieces)
}

/// The fields a template's placeholders name, in order.
pub fn fields(pieces: &[Piece]) -> impl Iterator<Item = &str> {
    pieces.iter().filter_map(|piece| match piece {
        Piece::Field(field) => Some(field.as_str()),
        Piece::Literal(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_literals_and_placeholders() {
        assert_eq!(
            parse("ACCOUNT#{id}").unwrap(),
            [Piece::Literal("ACCOUNT#".into()), Piece::Field("id".into())]
        );
        assert_eq!(
            parse("ACCOUNT").unwrap(),
            [Piece::Literal("ACCOUNT".into())]
        );
        assert_eq!(
            parse("{a}#{ b }").unwrap(),
            [
                Piece::Field("a".into()),
                Piece::Literal("#".into()),
                Piece::Field("b".into())
            ]
        );
    }

    #[test]
    fn rejects_malformed_templates() {
        for bad in ["", "A#{", "A#{}", "A}", "{a}{b}", "{a{b}}"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
