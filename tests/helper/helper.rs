//! The corpus helper: one small program with the behaviours the process cases need, run by
//! the real reactor. The simulator runs the same modes as program stubs
//! (`tests/corpus/process/helper_stubs.rs`), so one corpus case drives both.
//!
//! Usage: `twinreactor-corpus-helper <mode> [arguments]`, where mode is one of
//! * `echo`: copies stdin to stdout until stdin ends, then exits 0;
//! * `late-echo MS`: reads nothing for MS milliseconds, then behaves as `echo`;
//! * `both OUT ERR`: writes OUT to stdout and ERR to stderr, exits 0;
//! * `exit CODE`: exits with CODE;
//! * `args ...`: writes each argument, byte-exact, followed by a NUL byte, exits 0;
//! * `env NAME`: writes `set:VALUE` or `unset`, exits 0;
//! * `env-all`: writes every variable as `NAME=VALUE` lines, sorted, exits 0;
//! * `sleep`: waits until signalled or until stdin ends (then exits 0);
//! * `close-stdout`: closes stdout, then behaves as `sleep`;
//! * `grandchild`: starts a grandchild in `sleep` mode that shares its stdin, stdout and
//!   stderr, and exits 0 at once.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode, Stdio};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let mode = args.next().unwrap_or_default();
    let rest: Vec<OsString> = args.collect();
    match run(mode.as_bytes(), &rest) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let _ = writeln!(io::stderr(), "twinreactor-corpus-helper: {e}");
            ExitCode::from(101)
        }
    }
}

fn arg(rest: &[OsString], i: usize) -> &[u8] {
    rest.get(i).map_or(&[], |a| a.as_bytes())
}

fn run(mode: &[u8], rest: &[OsString]) -> io::Result<u8> {
    let mut out = io::stdout().lock();
    match mode {
        b"late-echo" => {
            let ms = std::str::from_utf8(arg(rest, 0))
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            std::thread::sleep(std::time::Duration::from_millis(ms));
            run(b"echo", rest)
        }
        b"echo" => {
            let mut buf = vec![0; 64 * 1024];
            let mut stdin = io::stdin().lock();
            loop {
                let n = stdin.read(&mut buf)?;
                if n == 0 {
                    return Ok(0);
                }
                out.write_all(&buf[..n])?;
                out.flush()?;
            }
        }
        b"both" => {
            out.write_all(arg(rest, 0))?;
            out.flush()?;
            io::stderr().write_all(arg(rest, 1))?;
            Ok(0)
        }
        b"exit" => {
            let code = std::str::from_utf8(arg(rest, 0))
                .ok()
                .and_then(|c| c.parse().ok());
            Ok(code.unwrap_or(2))
        }
        b"args" => {
            for a in rest {
                out.write_all(a.as_bytes())?;
                out.write_all(b"\0")?;
            }
            out.flush()?;
            Ok(0)
        }
        b"env" => {
            match std::env::var_os(rest.first().cloned().unwrap_or_default()) {
                Some(v) => {
                    out.write_all(b"set:")?;
                    out.write_all(v.as_bytes())?;
                }
                None => out.write_all(b"unset")?,
            }
            out.flush()?;
            Ok(0)
        }
        b"env-all" => {
            let mut vars: Vec<_> = std::env::vars_os().collect();
            vars.sort();
            for (k, v) in vars {
                out.write_all(k.as_bytes())?;
                out.write_all(b"=")?;
                out.write_all(v.as_bytes())?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
            Ok(0)
        }
        b"sleep" => {
            io::copy(&mut io::stdin().lock(), &mut io::sink())?;
            Ok(0)
        }
        b"close-stdout" => {
            // Replaces this program (same process) with its `sleep` mode, stdout now /dev/null:
            // the pipe's write end closes while the process keeps running.
            let e = Command::new(std::env::current_exe()?)
                .arg("sleep")
                .stdout(Stdio::null())
                .exec();
            Err(e)
        }
        b"grandchild" => {
            Command::new(std::env::current_exe()?)
                .arg("sleep")
                .spawn()?;
            Ok(0)
        }
        _ => Err(io::Error::other(format!(
            "unknown mode {:?}",
            String::from_utf8_lossy(mode)
        ))),
    }
}
