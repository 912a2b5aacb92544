//! Which test (or program) is running, and the commands that run it again.
//!
//! libtest and nextest both name the thread of a test after the test, and cargo sets
//! `CARGO_PKG_NAME` for the binaries it runs; the binary's own path says which target it is
//! (`deps/<target>-<hash>` for tests, `examples/<name>` for examples) and where the target
//! directory is.

use std::path::{Path, PathBuf};

use crate::SEED_ENV;

/// The cargo target a binary was built from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// The package's library unit tests (`--lib`).
    Lib,
    /// An integration test (`--test <name>`).
    Test(String),
    /// An example (`--example <name>`).
    Example(String),
    /// Something else: replayed by running the binary itself.
    Binary(PathBuf),
}

/// Where a failure happened, as far as the process can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TestId {
    package: Option<String>,
    target: Target,
    /// The test's name (its thread's name), or `None` outside a test.
    test: Option<String>,
    /// The build's target directory, when the binary sits in one.
    target_dir: Option<PathBuf>,
}

impl TestId {
    /// The test running on this thread, from the process's environment.
    pub(crate) fn current() -> Self {
        let exe = std::env::current_exe().unwrap_or_default();
        let test = std::thread::current()
            .name()
            .filter(|name| *name != "main")
            .map(str::to_owned);
        Self::from_parts(
            &exe,
            std::env::var("CARGO_PKG_NAME").ok(),
            test,
            std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from),
        )
    }

    fn from_parts(
        exe: &Path,
        package: Option<String>,
        test: Option<String>,
        target_dir: Option<PathBuf>,
    ) -> Self {
        let stem = exe
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let dir = exe.parent();
        let dir_name = dir.and_then(|d| d.file_name()).and_then(|n| n.to_str());
        let target = match dir_name {
            Some("deps") => {
                let name = strip_hash(&stem).to_owned();
                let lib = package.as_deref().map(|p| p.replace('-', "_"));
                if lib.as_deref() == Some(name.as_str()) {
                    Target::Lib
                } else {
                    Target::Test(name)
                }
            }
            Some("examples") => Target::Example(stem),
            _ => Target::Binary(exe.to_path_buf()),
        };
        // `<target>/<profile>/deps/<binary>` or `<target>/<profile>/examples/<binary>`.
        let target_dir = target_dir.or_else(|| match target {
            Target::Binary(_) => None,
            _ => dir
                .and_then(Path::parent)
                .and_then(Path::parent)
                .map(Path::to_path_buf),
        });
        Self {
            package,
            target,
            test,
            target_dir,
        }
    }

    /// The command that replays `seed` under `cargo test` (or `cargo run`, outside a test).
    pub(crate) fn cargo_command(&self, seed: u64) -> String {
        self.cargo_command_with(&format!("{SEED_ENV}={seed}"))
    }

    /// The command that runs this test again under `cargo test` with `env` (`NAME=value`).
    pub(crate) fn cargo_command_with(&self, env: &str) -> String {
        let package = self.package_arg();
        match (&self.target, &self.test) {
            (Target::Binary(exe), _) => format!("{env} {}", exe.display()),
            (Target::Example(name), None) => {
                format!("{env} cargo run{package} --example {name}")
            }
            (target, test) => format!(
                "{env} cargo test{package}{} -- --exact {}",
                target_arg(target),
                test.as_deref().unwrap_or("<test name>")
            ),
        }
    }

    /// The command that replays `seed` under `cargo nextest run`, for a test.
    pub(crate) fn nextest_command(&self, seed: u64) -> Option<String> {
        self.nextest_command_with(&format!("{SEED_ENV}={seed}"))
    }

    /// The command that runs this test again under `cargo nextest run` with `env`.
    pub(crate) fn nextest_command_with(&self, env: &str) -> Option<String> {
        let test = self.test.as_deref()?;
        if matches!(self.target, Target::Binary(_)) {
            return None;
        }
        Some(format!(
            "{env} cargo nextest run{}{} -E 'test(={test})'",
            self.package_arg(),
            target_arg(&self.target)
        ))
    }

    /// Where the whole trace of a failing run of `seed` is written.
    pub(crate) fn trace_path(&self, seed: u64) -> PathBuf {
        let base = self
            .target_dir
            .clone()
            .unwrap_or_else(std::env::temp_dir)
            .join("twinreactor")
            .join("traces");
        let binary = match &self.target {
            Target::Lib => "lib".to_owned(),
            Target::Test(name) | Target::Example(name) => name.clone(),
            Target::Binary(exe) => exe
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("binary")
                .to_owned(),
        };
        let test = self.test.as_deref().unwrap_or("main").replace("::", ".");
        base.join(binary).join(format!("{test}.seed-{seed}.trace"))
    }

    /// ` -p <package>`, or nothing when cargo did not say.
    fn package_arg(&self) -> String {
        self.package
            .as_deref()
            .map(|p| format!(" -p {p}"))
            .unwrap_or_default()
    }
}

/// The cargo option that selects `target`.
fn target_arg(target: &Target) -> String {
    match target {
        Target::Lib => " --lib".to_owned(),
        Target::Test(name) => format!(" --test {name}"),
        Target::Example(name) => format!(" --example {name}"),
        Target::Binary(_) => String::new(),
    }
}

/// `my_test-0123456789abcdef` -> `my_test`: cargo's hash suffix removed.
fn strip_hash(stem: &str) -> &str {
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name
        }
        _ => stem,
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::TestId;

    fn id(exe: &str, test: Option<&str>) -> TestId {
        TestId::from_parts(
            Path::new(exe),
            Some("my-crate".to_owned()),
            test.map(str::to_owned),
            None,
        )
    }

    #[test]
    fn an_integration_test_replays_by_target_and_exact_name() {
        let t = id(
            "/w/target/debug/deps/my_first-0123456789abcdef",
            Some("m::finds_it"),
        );
        assert_eq!(
            t.cargo_command(7),
            "TWINREACTOR_SEED=7 cargo test -p my-crate --test my_first -- --exact m::finds_it"
        );
        assert_eq!(
            t.nextest_command(7).unwrap(),
            "TWINREACTOR_SEED=7 cargo nextest run -p my-crate --test my_first -E 'test(=m::finds_it)'"
        );
        assert_eq!(
            t.trace_path(7),
            PathBuf::from("/w/target/twinreactor/traces/my_first/m.finds_it.seed-7.trace")
        );
    }

    #[test]
    fn unit_tests_of_the_library_replay_with_lib() {
        let t = id("/w/target/debug/deps/my_crate-0123456789abcdef", Some("t"));
        assert_eq!(
            t.cargo_command(1),
            "TWINREACTOR_SEED=1 cargo test -p my-crate --lib -- --exact t"
        );
    }

    #[test]
    fn an_example_replays_with_cargo_run() {
        let t = id("/w/target/debug/examples/udp_ping", None);
        assert_eq!(
            t.cargo_command(3),
            "TWINREACTOR_SEED=3 cargo run -p my-crate --example udp_ping"
        );
        assert_eq!(t.nextest_command(3), None);
    }

    #[test]
    fn an_unknown_binary_replays_by_its_path() {
        let t = id("/opt/bin/tool", None);
        assert_eq!(t.cargo_command(9), "TWINREACTOR_SEED=9 /opt/bin/tool");
        assert!(t
            .trace_path(9)
            .ends_with("twinreactor/traces/tool/main.seed-9.trace"));
    }
}
