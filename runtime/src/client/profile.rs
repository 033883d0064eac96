//! The settings of a named profile in the shared AWS files (`~/.aws/config` and
//! `~/.aws/credentials`, or `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`), read
//! as the AWS CLI and SDKs read them: only what choosing an endpoint needs.

use std::collections::HashMap;
use std::path::PathBuf;

use super::env;

/// One profile's `key = value` settings, and the file they came from.
#[derive(Debug, Default)]
pub(crate) struct Profile {
    settings: HashMap<String, String>,
    /// Whether either file has a section for this profile.
    pub(crate) found: bool,
    /// The config file read, to name it as a setting's source.
    pub(crate) config_file: PathBuf,
    /// The credentials file read.
    pub(crate) credentials_file: PathBuf,
}

impl Profile {
    /// Reads profile `name` from the shared files; a missing file holds no profiles.
    pub(crate) fn load(name: &str) -> Profile {
        let home = env("HOME").map(PathBuf::from).unwrap_or_default();
        let path = |var: &str, file: &str| {
            env(var)
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(".aws").join(file))
        };
        let config_file = path("AWS_CONFIG_FILE", "config");
        let credentials_file = path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
        let read = |path: &PathBuf| std::fs::read_to_string(path).unwrap_or_default();

        let mut profile = Profile::default();
        // In the config file a profile's section is `[profile NAME]` (`[default]` for the
        // default one); in the credentials file it is `[NAME]`.
        let config = read(&config_file);
        profile.merge(&config, &format!("profile {name}"));
        if name == "default" {
            profile.merge(&config, "default");
        }
        profile.merge(&read(&credentials_file), name);
        profile.config_file = config_file;
        profile.credentials_file = credentials_file;
        profile
    }

    /// A setting of the profile, if it has a value.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.settings
            .get(key)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// Adds the top-level settings of `[section]` in `text`; those already read win, as
    /// the config file's win over the credentials file's.
    fn merge(&mut self, text: &str, section: &str) {
        let mut inside = false;
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
                continue;
            }
            if let Some(header) = trimmed.strip_prefix('[') {
                let header = header.split(']').next().unwrap_or_default();
                let header = header.split_whitespace().collect::<Vec<_>>().join(" ");
                inside = header == section;
                self.found |= inside;
                continue;
            }
            // An indented line belongs to a nested block (such as `s3 =`), which is
            // not a setting of the profile itself.
            if !inside || line.starts_with([' ', '\t']) {
                continue;
            }
            if let Some((key, value)) = trimmed.split_once('=') {
                let value = value.split(" #").next().unwrap_or_default();
                self.settings
                    .entry(key.trim().to_owned())
                    .or_insert_with(|| value.trim().to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, section: &str) -> Profile {
        let mut profile = Profile::default();
        profile.merge(text, section);
        profile
    }

    #[test]
    fn settings_are_read_from_their_section_only() {
        let text = "\
# comment
[default]
region = us-east-2

[profile prod]
region = eu-west-1   # Ireland
endpoint_url=https://dynamodb.eu-west-1.amazonaws.com
s3 =
  endpoint_url = https://s3.example
output =
";
        let prod = parse(text, "profile prod");
        assert!(prod.found);
        assert_eq!(prod.get("region"), Some("eu-west-1"));
        assert_eq!(
            prod.get("endpoint_url"),
            Some("https://dynamodb.eu-west-1.amazonaws.com")
        );
        assert_eq!(prod.get("output"), None);
        assert_eq!(parse(text, "default").get("region"), Some("us-east-2"));
        assert!(!parse(text, "profile other").found);
    }

    #[test]
    fn headers_may_hold_extra_spaces() {
        let profile = parse("[ profile   dev ]\nregion = ap-south-1\n", "profile dev");
        assert_eq!(profile.get("region"), Some("ap-south-1"));
    }
}
