//! The `dynaschema` binary as a user runs it, on a design that is not ningipoints (the
//! test fixtures' online store), against the test server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dynaschema_tests::{endpoint, flags_only, repository_root, unique_table_name};

fn store_schema() -> PathBuf {
    repository_root().join("tests/fixtures/store.toml")
}

/// `dynaschema ARGS` run in `dir`, against the test server.
fn dynaschema_in(dir: &Path, args: &[&str]) -> Output {
    flags_only(&mut Command::new(env!("CARGO_BIN_EXE_dynaschema")))
        .current_dir(dir)
        .args(args)
        .args(["--endpoint", endpoint()])
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn plan_apply_plan_status_on_a_table_of_another_design() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(store_schema(), dir.path().join("schema.toml")).unwrap();
    let table = unique_table_name("cli-store");
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--table", table.as_str()]);
        dynaschema_in(dir.path(), &all)
    };

    let plan = run(&["plan"]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(stdout.starts_with(&format!("+ table {table}")), "{stdout}");
    assert!(stdout.contains("Plan: 1 to add"), "{stdout}");

    let apply = run(&["apply"]);
    assert_eq!(apply.status.code(), Some(0), "{}", text(&apply.stderr));
    // Where it changes something is said first, on stderr.
    assert!(
        text(&apply.stderr).starts_with(&format!(
            "dynaschema: apply to table {table} at {} (region us-east-1)\n",
            endpoint()
        )),
        "{}",
        text(&apply.stderr)
    );
    assert!(
        text(&apply.stdout).contains(&table),
        "{}",
        text(&apply.stdout)
    );

    let again = run(&["plan"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).starts_with("No changes"),
        "{}",
        text(&again.stdout)
    );

    let status = run(&["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let stdout = text(&status.stdout);
    assert!(
        stdout.starts_with(&format!("table {table}: ACTIVE")),
        "{stdout}"
    );
    for index in ["EmailKeys", "GSI1", "GSI2", "ProductNames"] {
        assert!(
            stdout.contains(&format!("index {index}: ACTIVE")),
            "{stdout}"
        );
    }
    assert!(
        stdout.ends_with("schema: the table matches it\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("migration"), "{stdout}");
}

#[test]
fn the_schema_comes_from_the_flag_the_environment_or_the_directory_and_nowhere_else() {
    let empty = tempfile::tempdir().unwrap();
    let missing = dynaschema_in(empty.path(), &["plan"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(missing.stdout.is_empty());
    let stderr = text(&missing.stderr);
    assert!(
        stderr.starts_with("dynaschema: no schema file at schema.toml"),
        "{stderr}"
    );
    assert!(stderr.contains("--schema PATH"), "{stderr}");

    let schema = store_schema();
    let by_flag = dynaschema_in(
        empty.path(),
        &[
            "export",
            "--format",
            "terraform",
            "--schema",
            schema.to_str().unwrap(),
        ],
    );
    assert_eq!(by_flag.status.code(), Some(0), "{}", text(&by_flag.stderr));
    assert!(text(&by_flag.stdout).contains("name = \"store\""));

    let by_environment = Command::new(env!("CARGO_BIN_EXE_dynaschema"))
        .current_dir(empty.path())
        .args(["export", "--format", "terraform"])
        .env("DYNASCHEMA_SCHEMA", &schema)
        .env("DYNASCHEMA_TABLE", "store-dev")
        .output()
        .unwrap();
    assert_eq!(
        by_environment.status.code(),
        Some(0),
        "{}",
        text(&by_environment.stderr)
    );
    assert!(text(&by_environment.stdout).contains("name = \"store-dev\""));
}

#[test]
fn export_prints_each_format_from_the_schema_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(store_schema(), dir.path().join("schema.toml")).unwrap();
    // No server is asked: an endpoint that answers nothing does not matter.
    let export = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_dynaschema"))
            .current_dir(dir.path())
            .args([
                "export",
                "--format",
                format,
                "--endpoint",
                "http://127.0.0.1:9",
            ])
            .output()
            .unwrap()
    };
    let json = export("cloudformation");
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let template: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let properties = &template["Resources"]["StoreTable"]["Properties"];
    assert_eq!(properties["TableName"], "store");
    assert_eq!(
        properties["GlobalSecondaryIndexes"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let yaml = text(&export("cloudformation-yaml").stdout);
    assert!(
        yaml.contains("    Type: \"AWS::DynamoDB::Table\"\n"),
        "{yaml}"
    );
    let hcl = text(&export("terraform").stdout);
    assert!(
        hcl.starts_with("resource \"aws_dynamodb_table\" \"store\" {"),
        "{hcl}"
    );

    // A reproducible stamp, so that a committed model only changes with the schema.
    let workbench = Command::new(env!("CARGO_BIN_EXE_dynaschema"))
        .current_dir(dir.path())
        .args(["export", "--format", "workbench"])
        .env("SOURCE_DATE_EPOCH", "1796083200")
        .output()
        .unwrap();
    assert_eq!(
        workbench.status.code(),
        Some(0),
        "{}",
        text(&workbench.stderr)
    );
    let model: serde_json::Value = serde_json::from_slice(&workbench.stdout).unwrap();
    assert_eq!(
        model["ModelMetadata"]["DateCreated"],
        "Dec 01, 2026, 12:00 AM"
    );
    let table = &model["DataModel"][0];
    assert_eq!(table["TableName"], "store");
    assert_eq!(table["GlobalSecondaryIndexes"].as_array().unwrap().len(), 4);
    assert_eq!(
        text(&workbench.stderr),
        "dynaschema: note: schema.toml gives no type for the projected attributes name; the \
         model has them as strings (S)\n"
    );

    let unknown = export("pulumi");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("cloudformation-yaml"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn init_adopts_a_live_table_and_plan_then_finds_nothing_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let table = unique_table_name("cli-init");
    let schema = store_schema();
    let created = dynaschema_in(
        dir.path(),
        &[
            "apply",
            "--schema",
            schema.to_str().unwrap(),
            "--table",
            &table,
        ],
    );
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));

    let init = dynaschema_in(dir.path(), &["init", "--from-table", &table]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    assert_eq!(
        text(&init.stdout),
        format!("wrote the schema of table {table} to schema.toml\n")
    );
    let written = std::fs::read_to_string(dir.path().join("schema.toml")).unwrap();
    assert!(
        written.contains(&format!("name = \"{table}\"")),
        "{written}"
    );
    assert!(
        written.contains("projection = \"INCLUDE\"\nnon_key_attributes = [\"name\"]"),
        "{written}"
    );

    let plan = dynaschema_in(dir.path(), &["plan"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}{}",
        text(&plan.stdout),
        text(&plan.stderr)
    );

    // The file is there now: left alone without --force.
    let again = dynaschema_in(dir.path(), &["init"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("schema.toml exists already"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("schema.toml")).unwrap(),
        written
    );

    let starter = dynaschema_in(dir.path(), &["init", "--force"]);
    assert_eq!(starter.status.code(), Some(0), "{}", text(&starter.stderr));
    let text_written = std::fs::read_to_string(dir.path().join("schema.toml")).unwrap();
    assert_eq!(text_written, dynaschema_cli::init::STARTER);

    let missing = dynaschema_in(
        dir.path(),
        &[
            "init",
            "--from-table",
            "no-such-table",
            "--schema",
            "other.toml",
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("`no-such-table` does not exist"),
        "{}",
        text(&missing.stderr)
    );
    assert!(!dir.path().join("other.toml").exists());
}

#[test]
fn without_migrations_there_is_no_migrate_and_without_a_command_no_action() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(store_schema(), dir.path().join("schema.toml")).unwrap();
    let migrate = dynaschema_in(dir.path(), &["migrate"]);
    assert_eq!(migrate.status.code(), Some(1));
    assert!(
        text(&migrate.stderr).contains("dynaschema has no data migrations"),
        "{}",
        text(&migrate.stderr)
    );
    let help = dynaschema_in(dir.path(), &["--help"]);
    assert!(
        !text(&help.stdout).contains("migrate"),
        "{}",
        text(&help.stdout)
    );

    // Nothing is created by a bare `dynaschema`: it shows the usage and fails.
    let bare = dynaschema_in(dir.path(), &[]);
    assert_eq!(bare.status.code(), Some(1));
    assert!(
        text(&bare.stdout).contains("Usage: dynaschema"),
        "{}",
        text(&bare.stdout)
    );
}

#[test]
fn apply_flags_belong_to_apply_before_or_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let table = unique_table_name("cli-flags");
    std::fs::copy(store_schema(), dir.path().join("schema.toml")).unwrap();
    for args in [
        &["plan", "--allow-destructive"][..],
        &["--wait", "5", "status"],
        &[
            "export",
            "--format",
            "terraform",
            "--wait",
            "1",
            "--allow-destructive",
        ],
    ] {
        let refused = dynaschema_in(dir.path(), &[args, &["--table", &table]].concat());
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(refused.stdout.is_empty(), "{args:?}");
        assert!(
            text(&refused.stderr).contains("belongs to `dynaschema apply`"),
            "{args:?}: {}",
            text(&refused.stderr)
        );
    }
    // Nothing was created by the refusals; the flags work on either side of `apply`.
    let plan = dynaschema_in(dir.path(), &["plan", "--table", &table]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan.stderr));
    for args in [
        &["--wait", "60", "apply"][..],
        &["apply", "--allow-destructive"],
    ] {
        let applied = dynaschema_in(dir.path(), &[args, &["--table", &table]].concat());
        assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    }
    let plan = dynaschema_in(dir.path(), &["plan", "--table", &table]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stdout));
}

/// `dynaschema endpoint ARGS` with only `env` and the AWS files `config` and
/// `credentials` (in a temporary home): its status, its `name: value (source)` lines, and
/// stderr. It sends no request, and the instance metadata service is switched off in
/// case it did.
fn endpoint_with(
    env: &[(&str, &str)],
    config: &str,
    credentials: &str,
    args: &[&str],
) -> (Option<i32>, BTreeMap<String, (String, String)>, String) {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir(&aws).unwrap();
    std::fs::write(aws.join("config"), config).unwrap();
    std::fs::write(aws.join("credentials"), credentials).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_dynaschema"))
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .arg("endpoint")
        .args(args)
        .output()
        .expect("the binary runs");
    let lines = text(&output.stdout)
        .lines()
        .map(|line| {
            let (name, rest) = line.split_once(": ").expect("name: value");
            let (value, source) = rest.split_once(" (").expect("value (source)");
            let source = source.strip_suffix(')').expect("(source)");
            (name.to_owned(), (value.to_owned(), source.to_owned()))
        })
        .collect();
    (output.status.code(), lines, text(&output.stderr))
}

/// The value and source of `name` in `dynaschema endpoint`'s lines.
fn setting<'a>(lines: &'a BTreeMap<String, (String, String)>, name: &str) -> (&'a str, &'a str) {
    let (value, source) = &lines[name];
    (value, source)
}

#[test]
fn a_region_alone_means_dynamodb_in_that_region() {
    let (status, lines, stderr) = endpoint_with(&[("AWS_REGION", "eu-west-1")], "", "", &[]);
    assert_eq!(status, Some(0), "{stderr}");
    assert_eq!(
        setting(&lines, "endpoint"),
        (
            "https://dynamodb.eu-west-1.amazonaws.com",
            "DynamoDB's endpoint in the region"
        )
    );
    assert_eq!(setting(&lines, "region"), ("eu-west-1", "from AWS_REGION"));
    assert_eq!(setting(&lines, "profile"), ("default", "default"));
    assert_eq!(setting(&lines, "credentials").0, "none");

    let (_, lines, _) = endpoint_with(&[("AWS_DEFAULT_REGION", "cn-north-1")], "", "", &[]);
    assert_eq!(
        setting(&lines, "endpoint").0,
        "https://dynamodb.cn-north-1.amazonaws.com.cn"
    );
}

#[test]
fn with_nowhere_to_talk_the_error_says_how_to_choose() {
    let (status, lines, stderr) = endpoint_with(&[], "", "", &[]);
    assert_eq!(status, Some(1));
    assert!(lines.is_empty());
    for choice in ["--local", "--endpoint URL", "--region NAME", "AWS_REGION"] {
        assert!(stderr.contains(choice), "{choice}: {stderr}");
    }
    // A remote endpoint without a region cannot sign its requests.
    let (status, _, stderr) = endpoint_with(
        &[("AWS_ENDPOINT_URL", "https://dynamodb.example.net")],
        "",
        "",
        &[],
    );
    assert_eq!(status, Some(1));
    assert!(
        stderr.contains("no AWS region is configured for https://dynamodb.example.net"),
        "{stderr}"
    );
}

#[test]
fn local_means_this_machine_with_dummy_credentials() {
    let (status, lines, stderr) = endpoint_with(&[], "", "", &["--local"]);
    assert_eq!(status, Some(0), "{stderr}");
    assert_eq!(
        setting(&lines, "endpoint"),
        ("http://localhost:8000", "from --local")
    );
    assert_eq!(
        setting(&lines, "region"),
        ("us-east-1", "the default for a loopback endpoint")
    );
    assert_eq!(setting(&lines, "credentials").0, "dummy");
    // A region configured is kept; --local and --endpoint are one choice.
    let (_, lines, _) = endpoint_with(&[("AWS_REGION", "sa-east-1")], "", "", &["--local"]);
    assert_eq!(setting(&lines, "region"), ("sa-east-1", "from AWS_REGION"));
    let (status, _, stderr) = endpoint_with(
        &[],
        "",
        "",
        &["--local", "--endpoint", "http://127.0.0.1:9"],
    );
    assert_eq!(status, Some(1));
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    // Real credentials in the environment go to the local server too: no dummy.
    let (_, lines, _) = endpoint_with(
        &[("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")],
        "",
        "",
        &["--local"],
    );
    assert_eq!(setting(&lines, "credentials").0, "AWS chain");
    assert!(!lines
        .values()
        .any(|(value, source)| value.contains("AKID") || source.contains("AKID")));
}

#[test]
fn settings_resolve_flag_then_environment_then_profile() {
    let config = "\
[default]
region = us-east-2

[profile prod]
region = ap-south-1
endpoint_url = https://dynamodb.ap-south-1.amazonaws.com:443

[profile staging]
region = eu-central-1
";
    let credentials = "[prod]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n";
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let (status, lines, stderr) = endpoint_with(env, config, credentials, args);
        assert_eq!(status, Some(0), "{env:?} {args:?}: {stderr}");
        let text = format!("{lines:?}");
        assert!(!text.contains("secret"), "{text}");
        lines
    };
    let config_file = |lines: &BTreeMap<String, (String, String)>| {
        setting(lines, "region")
            .1
            .rsplit(" in ")
            .next()
            .unwrap()
            .to_owned()
    };

    // The default profile's region.
    let lines = run(&[], &[]);
    assert_eq!(setting(&lines, "region").0, "us-east-2");
    assert!(setting(&lines, "region")
        .1
        .starts_with("from profile default in "));
    assert!(config_file(&lines).ends_with(".aws/config"), "{lines:?}");
    // It names no credentials; prod does, in the credentials file.
    assert_eq!(setting(&lines, "credentials").0, "none");

    // AWS_PROFILE names a profile: its region and endpoint_url.
    let lines = run(&[("AWS_PROFILE", "prod")], &[]);
    assert_eq!(setting(&lines, "profile"), ("prod", "from AWS_PROFILE"));
    assert_eq!(setting(&lines, "region").0, "ap-south-1");
    assert_eq!(
        setting(&lines, "endpoint").0,
        "https://dynamodb.ap-south-1.amazonaws.com:443"
    );
    assert!(setting(&lines, "endpoint")
        .1
        .starts_with("from profile prod in "));
    assert_eq!(setting(&lines, "credentials").0, "AWS chain");

    // --profile wins over AWS_PROFILE.
    let lines = run(&[("AWS_PROFILE", "prod")], &["--profile", "staging"]);
    assert_eq!(setting(&lines, "profile"), ("staging", "from --profile"));
    assert_eq!(setting(&lines, "region").0, "eu-central-1");
    assert_eq!(
        setting(&lines, "endpoint").0,
        "https://dynamodb.eu-central-1.amazonaws.com"
    );

    // The environment wins over the profile: AWS_DEFAULT_REGION, then AWS_REGION over it,
    // then --region over both.
    let env = [("AWS_PROFILE", "prod"), ("AWS_DEFAULT_REGION", "us-west-1")];
    assert_eq!(
        setting(&run(&env, &[]), "region"),
        ("us-west-1", "from AWS_DEFAULT_REGION")
    );
    let env = [
        ("AWS_PROFILE", "prod"),
        ("AWS_DEFAULT_REGION", "us-west-1"),
        ("AWS_REGION", "us-west-2"),
    ];
    assert_eq!(
        setting(&run(&env, &[]), "region"),
        ("us-west-2", "from AWS_REGION")
    );
    assert_eq!(
        setting(&run(&env, &["--region", "ca-central-1"]), "region"),
        ("ca-central-1", "from --region")
    );

    // Endpoints: AWS_ENDPOINT_URL over the profile's, AWS_ENDPOINT_URL_DYNAMODB over
    // both, --endpoint over all; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS skips the
    // environment's and the profile's.
    let mut env = vec![
        ("AWS_PROFILE", "prod"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:8001"),
    ];
    assert_eq!(
        setting(&run(&env, &[]), "endpoint"),
        ("http://127.0.0.1:8001", "from AWS_ENDPOINT_URL")
    );
    env.push(("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8002"));
    assert_eq!(
        setting(&run(&env, &[]), "endpoint"),
        ("http://127.0.0.1:8002", "from AWS_ENDPOINT_URL_DYNAMODB")
    );
    assert_eq!(
        setting(&run(&env, &["--endpoint", "http://[::1]:8003"]), "endpoint"),
        ("http://[::1]:8003", "from --endpoint")
    );
    env.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"));
    assert_eq!(
        setting(&run(&env, &[]), "endpoint"),
        (
            "https://dynamodb.ap-south-1.amazonaws.com",
            "DynamoDB's endpoint in the region"
        )
    );
}

#[test]
fn an_sso_profile_needs_the_sso_feature() {
    let config = "[profile corp]\nsso_session = corp\nsso_account_id = 111122223333\n\
                  sso_role_name = Admin\nregion = eu-west-1\n\n[sso-session corp]\n\
                  sso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n";
    let (status, lines, stderr) = endpoint_with(&[("AWS_PROFILE", "corp")], config, "", &[]);
    assert_eq!(status, Some(0), "{stderr}");
    let (value, reason) = setting(&lines, "credentials");
    if cfg!(feature = "sso") {
        assert_eq!(value, "AWS chain");
    } else {
        assert_eq!(value, "none");
        assert!(reason.contains("IAM Identity Center"), "{reason}");
        assert!(reason.contains("`sso`"), "{reason}");
    }
}

#[test]
fn the_aws_files_may_be_named_by_the_environment() {
    let files = tempfile::tempdir().unwrap();
    let config = files.path().join("team-config");
    let credentials = files.path().join("team-credentials");
    std::fs::write(&config, "[profile team]\nregion = eu-north-1\n").unwrap();
    std::fs::write(&credentials, "[team]\naws_access_key_id = AKIDEXAMPLE\n").unwrap();
    let env = [
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
        ("AWS_PROFILE", "team"),
    ];
    // The home directory's files hold another region, which is not read.
    let (status, lines, stderr) =
        endpoint_with(&env, "[profile team]\nregion = us-east-2\n", "", &[]);
    assert_eq!(status, Some(0), "{stderr}");
    assert_eq!(
        setting(&lines, "region"),
        (
            "eu-north-1",
            format!("from profile team in {}", config.display()).as_str()
        )
    );
    assert_eq!(setting(&lines, "credentials").0, "AWS chain");
}

#[test]
fn a_profile_that_is_nowhere_is_an_error() {
    for (env, args) in [
        (&[("AWS_PROFILE", "nope")][..], &[][..]),
        (&[], &["--profile", "nope"][..]),
    ] {
        let (status, _, stderr) =
            endpoint_with(env, "[profile prod]\nregion = eu-west-1\n", "", args);
        assert_eq!(status, Some(1), "{env:?} {args:?}");
        assert!(stderr.contains("the AWS profile `nope`"), "{stderr}");
        assert!(stderr.contains(".aws/config"), "{stderr}");
    }
    // A profile only in the credentials file exists.
    let (status, lines, stderr) = endpoint_with(
        &[("AWS_PROFILE", "ci"), ("AWS_REGION", "eu-west-1")],
        "",
        "[ci]\naws_access_key_id = AKIDEXAMPLE\n",
        &[],
    );
    assert_eq!(status, Some(0), "{stderr}");
    assert_eq!(setting(&lines, "profile"), ("ci", "from AWS_PROFILE"));
}

#[test]
fn other_commands_refuse_with_nowhere_to_talk_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(store_schema(), dir.path().join("schema.toml")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_dynaschema"))
        .env_clear()
        .env("HOME", dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(dir.path())
        .arg("apply")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("Choose one: --local"),
        "{}",
        text(&output.stderr)
    );
}
