//! Loading and validating schema.toml: every error names file, line and column.

use crate::{
    Billing, Error, KeyAttribute, KeyType, LocalIndex, Projection, Schema, StreamView, Throughput,
};

const FILE: &str = "dir/schema.toml";

/// The position and message of a schema error, or a panic naming what came instead.
fn schema_error(text: &str) -> (usize, usize, String) {
    match Schema::parse(text, FILE) {
        Err(Error::Schema {
            file,
            line,
            column,
            message,
        }) => {
            assert_eq!(file.to_str(), Some(FILE));
            (line, column, message)
        }
        Err(other) => panic!("expected a schema error, got {other}"),
        Ok(schema) => panic!("expected a schema error, got {schema:?}"),
    }
}

const TABLE: &str = r#"[table]
name = "ningipoints"
partition_key = { name = "PK", type = "S" }
sort_key = { name = "SK", type = "S" }
"#;

#[test]
fn the_repository_schema_is_the_ningipoints_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.toml");
    let schema = Schema::load(path).unwrap();
    assert_eq!(schema.table.name, "ningipoints");
    assert_eq!(schema.table.billing, Billing::PayPerRequest);
    let key = |name: &str| KeyAttribute {
        name: name.to_owned(),
        kind: KeyType::S,
    };
    assert_eq!(schema.table.partition_key, key("PK"));
    assert_eq!(schema.table.sort_key, Some(key("SK")));
    assert_eq!(schema.indexes.len(), 1);
    let index = schema.index("EmailIndex").unwrap();
    assert_eq!(index.partition_key, key("email"));
    assert_eq!(index.sort_key, None);
    assert_eq!(index.projection, Projection::All);
    assert_eq!(index.throughput, None);
}

#[test]
fn billing_defaults_to_pay_per_request() {
    assert_eq!(
        Schema::parse(TABLE, FILE).unwrap().table.billing,
        Billing::PayPerRequest
    );
}

#[test]
fn provisioned_billing_gives_indexes_the_table_capacity_unless_they_have_their_own() {
    let text = r#"[table]
name = "t-provisioned"
billing_mode = "PROVISIONED"
throughput = { read = 5, write = 3 }
partition_key = { name = "PK", type = "S" }

[[index]]
name = "ByNumber"
partition_key = { name = "n", type = "N" }
sort_key = { name = "PK", type = "S" }
projection = "KEYS_ONLY"

[[index]]
name = "ByBytes"
partition_key = { name = "b", type = "B" }
projection = "INCLUDE"
non_key_attributes = ["z", "a"]
throughput = { read = 1, write = 2 }
"#;
    let schema = Schema::parse(text, FILE).unwrap();
    let table = Throughput { read: 5, write: 3 };
    assert_eq!(schema.table.billing, Billing::Provisioned(table));
    // Indexes are kept in name order, so a described table compares equal.
    let names: Vec<_> = schema.indexes.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["ByBytes", "ByNumber"]);
    assert_eq!(schema.index("ByNumber").unwrap().throughput, Some(table));
    let by_bytes = schema.index("ByBytes").unwrap();
    assert_eq!(by_bytes.throughput, Some(Throughput { read: 1, write: 2 }));
    assert_eq!(
        by_bytes.projection,
        Projection::Include(vec!["a".into(), "z".into()])
    );
    let attributes: Vec<_> = schema
        .key_attributes()
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(attributes, ["PK", "b", "n"]);
}

#[test]
fn syntax_errors_are_located() {
    let (line, column, message) = schema_error("[table]\nname = \"ningipoints\n");
    assert_eq!(line, 2);
    assert!(column > 1, "column {column}");
    assert!(message.contains("string"), "{message}");
}

#[test]
fn an_unknown_key_is_named_with_what_was_expected() {
    let text = TABLE.replace(
        "name = \"ningipoints\"",
        "name = \"ningipoints\"\nbiling_mode = \"PROVISIONED\"",
    );
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (3, 1));
    assert!(message.contains("unknown field `biling_mode`"), "{message}");
    assert!(
        message.contains("billing_mode"),
        "the expected keys are listed: {message}"
    );
}

#[test]
fn an_unknown_top_level_section_is_an_error() {
    let (line, _, message) = schema_error(&format!("{TABLE}\n[indexes]\nname = \"x\"\n"));
    assert_eq!(line, 6);
    assert!(message.contains("unknown field `indexes`"), "{message}");
}

#[test]
fn a_wrong_type_is_located() {
    let text = TABLE.replace("name = \"ningipoints\"", "name = 42");
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (2, 8));
    assert!(message.contains("expected a string"), "{message}");
}

#[test]
fn an_unknown_key_type_lists_the_allowed_ones() {
    let text = TABLE.replace("type = \"S\" }\nsort", "type = \"STRING\" }\nsort");
    let (line, _, message) = schema_error(&text);
    assert_eq!(line, 3);
    assert!(message.contains("`S`, `N`, `B`"), "{message}");
}

#[test]
fn a_missing_table_name_is_an_error() {
    let text = TABLE.replace("name = \"ningipoints\"\n", "");
    let (line, _, message) = schema_error(&text);
    assert_eq!(line, 1);
    assert!(message.contains("missing field `name`"), "{message}");
}

#[test]
fn a_missing_table_section_is_an_error() {
    let (line, column, message) = schema_error("");
    assert_eq!((line, column), (1, 1));
    assert!(message.contains("missing field `table`"), "{message}");
}

#[test]
fn table_names_follow_dynamodb_rules() {
    for (name, expected) in [
        ("ab", "3 to 255 characters"),
        ("ning points", "` ` is not allowed"),
        ("ningi/points", "`/` is not allowed"),
        ("pontos-ç", "`ç` is not allowed"),
    ] {
        let text = TABLE.replace("ningipoints", name);
        let (line, column, message) = schema_error(&text);
        assert_eq!((line, column), (2, 8), "{name}");
        assert!(
            message.contains("invalid table name") && message.contains(expected),
            "{message}"
        );
    }
    let long = "a".repeat(256);
    let (_, _, message) = schema_error(&TABLE.replace("ningipoints", &long));
    assert!(message.contains("is 256"), "{message}");
    let longest = "a".repeat(255);
    Schema::parse(&TABLE.replace("ningipoints", &longest), FILE).unwrap();
    Schema::parse(&TABLE.replace("ningipoints", "a_b.c-D9"), FILE).unwrap();
}

#[test]
fn index_names_follow_dynamodb_rules() {
    let text = format!(
        "{TABLE}\n[[index]]\nname = \"by email\"\npartition_key = {{ name = \"email\", type = \"S\" }}\nprojection = \"ALL\"\n"
    );
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (7, 8));
    assert!(message.contains("invalid index name"), "{message}");
}

#[test]
fn a_duplicate_index_name_points_at_both() {
    let index = "[[index]]\nname = \"EmailIndex\"\npartition_key = { name = \"email\", type = \"S\" }\nprojection = \"ALL\"\n";
    let (line, column, message) = schema_error(&format!("{TABLE}\n{index}\n{index}"));
    assert_eq!((line, column), (12, 8));
    assert!(
        message.contains("duplicate index name `EmailIndex`"),
        "{message}"
    );
    assert!(message.contains("line 7"), "{message}");
}

#[test]
fn an_attribute_has_one_type_in_the_whole_table() {
    let text = format!(
        "{TABLE}\n[[index]]\nname = \"BySK\"\npartition_key = {{ name = \"SK\", type = \"N\" }}\nprojection = \"ALL\"\n"
    );
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (8, 26));
    assert!(
        message.contains("`SK` is declared here as N but as S on line 4"),
        "{message}"
    );
}

#[test]
fn the_sort_key_differs_from_the_partition_key() {
    let text = TABLE.replace("name = \"SK\"", "name = \"PK\"");
    let (line, _, message) = schema_error(&text);
    assert_eq!(line, 4);
    assert!(message.contains("another attribute"), "{message}");
}

#[test]
fn throughput_goes_with_provisioned_billing_only() {
    let on_demand = TABLE.replace(
        "name = \"ningipoints\"",
        "name = \"ningipoints\"\nthroughput = { read = 1, write = 1 }",
    );
    let (line, _, message) = schema_error(&on_demand);
    assert_eq!(line, 3);
    assert!(message.contains("PROVISIONED"), "{message}");

    let missing = TABLE.replace(
        "name = \"ningipoints\"",
        "name = \"ningipoints\"\nbilling_mode = \"PROVISIONED\"",
    );
    let (line, column, message) = schema_error(&missing);
    assert_eq!((line, column), (3, 16));
    assert!(message.contains("needs `throughput"), "{message}");

    let zero = missing.replace(
        "\"PROVISIONED\"",
        "\"PROVISIONED\"\nthroughput = { read = 0, write = 1 }",
    );
    let (line, _, message) = schema_error(&zero);
    assert_eq!(line, 4);
    assert!(message.contains("at least 1"), "{message}");

    let unknown = TABLE.replace(
        "name = \"ningipoints\"",
        "name = \"ningipoints\"\nbilling_mode = \"ON_DEMAND\"",
    );
    let (_, _, message) = schema_error(&unknown);
    assert!(
        message.contains("expected `PAY_PER_REQUEST` or `PROVISIONED`"),
        "{message}"
    );
}

#[test]
fn include_projections_name_their_attributes() {
    let index = |rest: &str| {
        format!("{TABLE}\n[[index]]\nname = \"ByEmail\"\npartition_key = {{ name = \"email\", type = \"S\" }}\n{rest}")
    };
    let (line, _, message) = schema_error(&index("projection = \"INCLUDE\"\n"));
    assert_eq!(line, 9);
    assert!(message.contains("non_key_attributes"), "{message}");
    let (line, _, message) = schema_error(&index(
        "projection = \"ALL\"\nnon_key_attributes = [\"name\"]\n",
    ));
    assert_eq!(line, 10);
    assert!(
        message.contains("only with projection = \"INCLUDE\""),
        "{message}"
    );
    let (_, _, message) = schema_error(&index("projection = \"EVERYTHING\"\n"));
    assert!(
        message.contains("`ALL`, `KEYS_ONLY`, `INCLUDE`"),
        "{message}"
    );
}

#[test]
fn at_most_twenty_indexes() {
    let mut text = TABLE.to_owned();
    for i in 0..21 {
        text.push_str(&format!(
            "\n[[index]]\nname = \"Index{i:02}\"\npartition_key = {{ name = \"a{i}\", type = \"S\" }}\nprojection = \"KEYS_ONLY\"\n"
        ));
    }
    let (_, _, message) = schema_error(&text);
    assert!(message.contains("at most 20"), "{message}");
}

#[test]
fn a_missing_file_is_named() {
    let err = Schema::load("no/such/schema.toml").unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("no/such/schema.toml"), "{err}");
}

#[test]
fn a_table_name_override_is_validated() {
    let schema = Schema::parse(TABLE, FILE).unwrap();
    assert_eq!(
        schema
            .with_table_name("dev-ningipoints")
            .unwrap()
            .table
            .name,
        "dev-ningipoints"
    );
    let err = schema.with_table_name("x").unwrap_err();
    assert!(
        matches!(err, Error::InvalidName { kind: "table", .. }),
        "{err}"
    );
}

#[test]
fn errors_display_as_file_line_column() {
    let err = Schema::parse("[table]\nnme = 1\n", FILE).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("dir/schema.toml:2:1: unknown field `nme`"),
        "{err}"
    );
}

#[test]
fn ttl_stream_and_deletion_protection_are_optional_table_settings() {
    let plain = Schema::parse(TABLE, FILE).unwrap();
    assert_eq!(plain.table.ttl_attribute, None);
    assert_eq!(plain.table.stream, None);
    assert!(!plain.table.deletion_protection);

    let text = TABLE.replace(
        "name = \"ningipoints\"",
        "name = \"ningipoints\"\nttl_attribute = \"expires_at\"\nstream = \"NEW_AND_OLD_IMAGES\"\ndeletion_protection = true",
    );
    let schema = Schema::parse(&text, FILE).unwrap();
    assert_eq!(schema.table.ttl_attribute.as_deref(), Some("expires_at"));
    assert_eq!(schema.table.stream, Some(StreamView::NewAndOldImages));
    assert!(schema.table.deletion_protection);
    for (code, view) in [
        ("KEYS_ONLY", StreamView::KeysOnly),
        ("NEW_IMAGE", StreamView::NewImage),
        ("OLD_IMAGE", StreamView::OldImage),
    ] {
        let text = TABLE.replace(
            "name = \"ningipoints\"",
            &format!("name = \"ningipoints\"\nstream = \"{code}\""),
        );
        assert_eq!(Schema::parse(&text, FILE).unwrap().table.stream, Some(view));
        assert_eq!(view.to_string(), code);
    }
}

#[test]
fn an_unknown_stream_view_lists_the_allowed_ones() {
    let text = TABLE.replace(
        "name = \"ningipoints\"",
        "name = \"ningipoints\"\nstream = \"ALL\"",
    );
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (3, 10));
    assert!(
        message.contains("`KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE`, `NEW_AND_OLD_IMAGES`"),
        "{message}"
    );
}

#[test]
fn deletion_protection_is_a_boolean() {
    let text = TABLE.replace(
        "name = \"ningipoints\"",
        "name = \"ningipoints\"\ndeletion_protection = \"yes\"",
    );
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (3, 23));
    assert!(message.contains("expected a boolean"), "{message}");
}

#[test]
fn the_ttl_attribute_needs_a_name() {
    let text = TABLE.replace(
        "name = \"ningipoints\"",
        "name = \"ningipoints\"\nttl_attribute = \"\"",
    );
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (3, 17));
    assert!(message.contains("1 to 255 bytes"), "{message}");
}

#[test]
fn a_ttl_attribute_that_is_a_key_must_be_a_number() {
    let text = TABLE.replace(
        "name = \"ningipoints\"",
        "name = \"ningipoints\"\nttl_attribute = \"SK\"",
    );
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (3, 17));
    assert!(
        message.contains("the TTL attribute `SK` is declared as a key of type S on line 5"),
        "{message}"
    );
    assert!(message.contains("Number"), "{message}");

    let number = format!(
        "{TABLE}\n[[index]]\nname = \"ByExpiry\"\npartition_key = {{ name = \"expires_at\", type = \"N\" }}\nprojection = \"KEYS_ONLY\"\n"
    )
    .replace(
        "name = \"ningipoints\"",
        "name = \"ningipoints\"\nttl_attribute = \"expires_at\"",
    );
    Schema::parse(&number, FILE).unwrap();
}

const LOCAL_INDEX: &str = "\n[[local_index]]\nname = \"ByDate\"\nsort_key = { name = \"date\", type = \"S\" }\nprojection = \"INCLUDE\"\nnon_key_attributes = [\"amount\"]\n";

#[test]
fn local_indexes_share_the_partition_key_and_have_their_own_sort_key() {
    let schema = Schema::parse(&format!("{TABLE}{LOCAL_INDEX}"), FILE).unwrap();
    assert_eq!(
        schema.local_indexes,
        [LocalIndex {
            name: "ByDate".into(),
            sort_key: KeyAttribute {
                name: "date".into(),
                kind: KeyType::S
            },
            projection: Projection::Include(vec!["amount".into()]),
        }]
    );
    assert_eq!(schema.local_index("ByDate"), Some(&schema.local_indexes[0]));
    let attributes: Vec<_> = schema
        .key_attributes()
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(attributes, ["PK", "SK", "date"]);
}

#[test]
fn a_local_index_needs_a_table_sort_key() {
    let text =
        format!("{TABLE}{LOCAL_INDEX}").replace("sort_key = { name = \"SK\", type = \"S\" }\n", "");
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (6, 8));
    assert!(
        message.contains("needs a table with a sort key"),
        "{message}"
    );
}

#[test]
fn a_local_index_sort_key_is_not_the_partition_key() {
    let text = format!("{TABLE}{LOCAL_INDEX}").replace("name = \"date\"", "name = \"PK\"");
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (8, 21));
    assert!(
        message.contains("another attribute than the table's partition key"),
        "{message}"
    );
}

#[test]
fn a_local_index_name_is_unique_among_all_indexes() {
    let text = format!(
        "{TABLE}\n[[index]]\nname = \"ByDate\"\npartition_key = {{ name = \"email\", type = \"S\" }}\nprojection = \"ALL\"\n{LOCAL_INDEX}"
    );
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (12, 8));
    assert!(
        message.contains("duplicate index name `ByDate`: line 7 already declares it"),
        "{message}"
    );
}

#[test]
fn a_local_index_takes_no_throughput_and_has_one_type_per_attribute() {
    let text = format!("{TABLE}{LOCAL_INDEX}throughput = {{ read = 1, write = 1 }}\n");
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (11, 1));
    assert!(message.contains("unknown field `throughput`"), "{message}");

    let text = format!("{TABLE}{LOCAL_INDEX}").replace(
        "name = \"date\", type = \"S\"",
        "name = \"SK\", type = \"N\"",
    );
    let (line, _, message) = schema_error(&text);
    assert_eq!(line, 8);
    assert!(
        message.contains("declared here as N but as S on line 4"),
        "{message}"
    );
}

#[test]
fn at_most_five_local_indexes() {
    let mut text = TABLE.to_owned();
    for i in 0..6 {
        text.push_str(&format!(
            "\n[[local_index]]\nname = \"Local{i}\"\nsort_key = {{ name = \"s{i}\", type = \"S\" }}\nprojection = \"KEYS_ONLY\"\n"
        ));
    }
    let (line, _, message) = schema_error(&text);
    assert_eq!(line, 32);
    assert!(message.contains("at most 5 local"), "{message}");
}
