//! The corpus helper's modes as simulator program stubs, registered under the helper's own
//! path, so that one `ProcessSpec` runs the real program on the real reactor and the stub on
//! the simulator. `tests/helper/main.rs` documents the modes; each stub here mirrors one.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use twinreactor::{Environment, Pipe, ProcessSpec};
use twinreactor_sim::{ProcessConfig, Program, ProgramCx};

/// The helper program's path (built by cargo for the corpus).
pub const HELPER: &str = env!("CARGO_BIN_EXE_twinreactor-corpus-helper");

/// The spec that runs the helper in `mode` with `args`, inheriting the environment.
pub fn helper_spec(mode: &str, args: &[&[u8]]) -> ProcessSpec {
    let mut spec = ProcessSpec::new(HELPER).arg(mode);
    for a in args {
        spec = spec.arg(OsString::from(std::ffi::OsStr::from_bytes(a)));
    }
    spec.env(Environment::Inherit)
}

/// Process settings with the helper registered (and a `PATH` to inherit, as a real
/// environment has one).
pub fn corpus_stubs() -> ProcessConfig {
    let mut config = ProcessConfig::default();
    config.inherited_env = vec![("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into())];
    config.with_program(HELPER, || Box::new(Helper))
}

/// The helper's entry point: picks the mode's stub from the first argument.
struct Helper;

impl Program for Helper {
    fn start(&mut self, cx: &mut ProgramCx<'_>) {
        let args: Vec<Vec<u8>> = cx.args().iter().map(|a| a.as_bytes().to_vec()).collect();
        let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
        match arg(0).as_slice() {
            b"echo" => cx.become_program(Box::new(Echo)),
            b"late-echo" => {
                let ms = std::str::from_utf8(&arg(1))
                    .ok()
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                cx.pause_stdin();
                cx.sleep(std::time::Duration::from_millis(ms), 0);
                cx.become_program(Box::new(LateEcho));
            }
            b"both" => {
                cx.write_stdout(&arg(1));
                cx.write_stderr(&arg(2));
                cx.exit(0);
            }
            b"exit" => {
                let code = std::str::from_utf8(&arg(1))
                    .ok()
                    .and_then(|c| c.parse().ok());
                cx.exit(code.unwrap_or(2));
            }
            b"args" => {
                for a in &args[1..] {
                    cx.write_stdout(a);
                    cx.write_stdout(b"\0");
                }
                cx.exit(0);
            }
            b"env" => {
                let value = cx
                    .var(std::ffi::OsStr::from_bytes(&arg(1)))
                    .map(|v| v.to_owned());
                match value {
                    Some(v) => cx.write_stdout(&[b"set:", v.as_bytes()].concat()),
                    None => cx.write_stdout(b"unset"),
                }
                cx.exit(0);
            }
            b"env-all" => {
                let mut vars = cx.vars().to_vec();
                vars.sort();
                for (k, v) in vars {
                    cx.write_stdout(&[k.as_bytes(), b"=", v.as_bytes(), b"\n"].concat());
                }
                cx.exit(0);
            }
            b"sleep" => cx.become_program(Box::new(Sleep)),
            b"close-stdout" => {
                cx.close(Pipe::Stdout);
                cx.become_program(Box::new(Sleep));
            }
            b"grandchild" => {
                cx.spawn_grandchild(Box::new(Sleep));
                cx.exit(0);
            }
            _ => {
                cx.write_stderr(b"twinreactor-corpus-helper: unknown mode");
                cx.exit(101);
            }
        }
    }
}

/// `echo`: stdin to stdout, exit 0 at its end.
struct Echo;

impl Program for Echo {
    fn start(&mut self, _cx: &mut ProgramCx<'_>) {}

    fn stdin(&mut self, cx: &mut ProgramCx<'_>, data: &[u8]) {
        cx.write_stdout(data);
    }

    fn stdin_closed(&mut self, cx: &mut ProgramCx<'_>) {
        cx.exit(0);
    }
}

/// `late-echo`: stdin paused until its sleep ends, then `echo`.
struct LateEcho;

impl Program for LateEcho {
    fn start(&mut self, _cx: &mut ProgramCx<'_>) {}

    fn wake(&mut self, cx: &mut ProgramCx<'_>, _tag: u64) {
        cx.resume_stdin();
        cx.become_program(Box::new(Echo));
    }
}

/// `sleep`: waits for a signal (default action) or the end of stdin (exit 0).
struct Sleep;

impl Program for Sleep {
    fn start(&mut self, _cx: &mut ProgramCx<'_>) {}

    fn stdin_closed(&mut self, cx: &mut ProgramCx<'_>) {
        cx.exit(0);
    }
}
