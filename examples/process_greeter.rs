//! A child process, driven by one protocol on both reactors.
//!
//! The protocol spawns a program that reads a name on stdin, greets it on stdout, complains
//! on stderr and exits with code 3; it prints what it hears and stops the reactor at `ended`.
//! On the real reactor the program is `/bin/sh`; on the simulator it is a program stub
//! registered under the same name, scripted in Rust and run in virtual time.
//!
//! ```text
//! cargo run --example process_greeter            # seed 1
//! cargo run --example process_greeter -- 0x2a    # another seed
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use twinreactor::{
    ExitStatus, Phase, Pipe, ProcessId, ProcessProtocol, ProcessSpec, Reactor, ReactorExt, STARTUP,
};
use twinreactor_real::RealReactor;
use twinreactor_sim::{parse_seed, ProcessConfig, Program, ProgramCx, Sim, SimConfig};

const SHELL: &str = "/bin/sh";
const SCRIPT: &str = "read name; echo \"hello, $name\"; echo 'no coffee' >&2; exit 3";

type Log = Rc<RefCell<Vec<String>>>;

/// The protocol: only the contract, so it runs on either reactor.
struct Greeted(Log);

impl Greeted {
    fn note(&self, r: &dyn Reactor, what: String) {
        self.0.borrow_mut().push(format!("{:?} {what}", r.now()));
    }
}

impl ProcessProtocol for Greeted {
    fn stdout(&mut self, r: &mut dyn Reactor, _: ProcessId, data: &[u8]) {
        self.note(r, format!("stdout {:?}", String::from_utf8_lossy(data)));
    }

    fn stderr(&mut self, r: &mut dyn Reactor, _: ProcessId, data: &[u8]) {
        self.note(r, format!("stderr {:?}", String::from_utf8_lossy(data)));
    }

    fn pipe_closed(&mut self, r: &mut dyn Reactor, _: ProcessId, pipe: Pipe) {
        self.note(r, format!("{pipe:?} closed"));
    }

    fn exited(&mut self, r: &mut dyn Reactor, _: ProcessId, status: ExitStatus) {
        self.note(r, format!("exited, {status}"));
    }

    fn ended(&mut self, r: &mut dyn Reactor, _: ProcessId, status: ExitStatus) {
        self.note(r, format!("ended, {status}"));
        r.stop().expect("the reactor is running");
    }
}

fn install(r: &mut dyn Reactor, log: &Log) {
    let log = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        let spec = ProcessSpec::new(SHELL).arg("-c").arg(SCRIPT);
        let child = r
            .spawn_process(spec, Box::new(Greeted(log)))
            .expect("the shell exists");
        r.write_stdin(child, b"world\n").expect("stdin is open");
        r.close_stdin(child).expect("stdin is open");
    });
}

/// The simulator's stand-in for the shell script.
#[derive(Default)]
struct GreeterStub {
    name: Vec<u8>,
}

impl Program for GreeterStub {
    fn start(&mut self, _cx: &mut ProgramCx<'_>) {}

    fn stdin(&mut self, cx: &mut ProgramCx<'_>, data: &[u8]) {
        self.name.extend_from_slice(data);
        if let Some(end) = self.name.iter().position(|&b| b == b'\n') {
            let greeting = [b"hello, ", &self.name[..end], b"\n"].concat();
            cx.write_stdout(&greeting);
            cx.write_stderr(b"no coffee\n");
            cx.exit(3);
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = match std::env::args().nth(1) {
        Some(text) => parse_seed(&text).ok_or(format!("not a seed: {text:?}"))?,
        None => 1,
    };

    let sim_log = Log::default();
    let mut sim = Sim::with_config(SimConfig {
        process: ProcessConfig::default().with_program(SHELL, || Box::<GreeterStub>::default()),
        ..SimConfig::new(seed)
    });
    install(&mut sim, &sim_log);
    sim.run()?;
    println!("== simulator, seed {}: its trace ==", sim.seed());
    print!("{}", sim.trace().render());
    println!("== simulator: what the protocol heard ==");
    sim_log.borrow().iter().for_each(|line| println!("{line}"));

    let real_log = Log::default();
    let mut real = RealReactor::new()?;
    install(&mut real, &real_log);
    real.run()?;
    println!("== real reactor: what the protocol heard (times vary) ==");
    real_log.borrow().iter().for_each(|line| println!("{line}"));
    Ok(())
}
