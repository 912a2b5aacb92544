//! The executor: spawn tasks onto a reactor and run a future to its end.

use std::any::type_name;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use twinreactor::Reactor;

use crate::context;
use crate::core::Core;
use crate::error::{ContextError, RunError};
use crate::task::{task, JoinHandle};

/// A single-threaded executor whose tasks are polled from the callbacks of one reactor.
///
/// Tasks run only while the reactor runs. On the simulator every poll happens in a callback
/// the simulator scheduled, so the order of tasks is a function of the seed. A panic in a
/// task is a panic in a reactor callback: it leaves `run()` like any other (the simulator's
/// message names the seed). Dropping the executor drops its unfinished tasks.
pub struct Executor {
    core: Rc<Core>,
}

impl Executor {
    /// An executor for the reactor `r` (it keeps `r`'s remote handle to wake itself).
    pub fn new(r: &dyn Reactor) -> Self {
        Self {
            core: Core::new(r.remote(), r.now()),
        }
    }

    /// This executor's id: unique on its thread, and named in [`ContextError`]s.
    pub fn id(&self) -> u64 {
        self.core.id()
    }

    /// Spawns `future`; it first runs at the reactor's next iteration (or at once when
    /// spawned from a task of this executor, after that task's poll).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_on(&self.core, type_name::<F>(), future)
    }

    /// [`Executor::spawn`] with a name, shown when the task is reported pending.
    pub fn spawn_named<F>(&self, name: &str, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_on(&self.core, name, future)
    }

    /// The tasks that have not finished, by name (`task N (name)`), in spawn order.
    pub fn pending_tasks(&self) -> Vec<String> {
        self.core.pending()
    }

    /// Runs the reactor `r` (this executor's own) until `future` finishes, then stops it
    /// and returns the output. Other tasks see the reactor's shutdown (their connections end
    /// with [`Disconnect::Shutdown`](twinreactor::Disconnect)).
    ///
    /// Errors name the tasks still pending: [`RunError::Reactor`] when `run()` fails (the
    /// simulator going quiescent while tasks wait forever, its time limit, a reactor that
    /// cannot run), [`RunError::Stopped`] when something else stopped the reactor first.
    pub fn block_on<F>(&self, r: &mut dyn Reactor, future: F) -> Result<F::Output, RunError>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let slot = Rc::new(RefCell::new(None));
        let out = Rc::clone(&slot);
        // Held until this call returns: if `run()` fails, dropping it cancels the task, so
        // it can never run (and stop the reactor) later.
        let _main = spawn_on(&self.core, "block_on", async move {
            let output = future.await;
            *out.borrow_mut() = Some(output);
            if let Ok(core) = context::current() {
                core.defer(|r| {
                    // Not running (or already stopping): then run() ends on its own.
                    let _ = r.stop();
                });
            }
        });
        let result = r.run();
        let output = slot.borrow_mut().take();
        match (result, output) {
            (Ok(()), Some(output)) => Ok(output),
            (Ok(()), None) => Err(RunError::Stopped {
                pending: self.pending_tasks(),
            }),
            (Err(cause), _) => Err(RunError::Reactor {
                cause,
                pending: self.pending_tasks(),
            }),
        }
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        self.core.drop_tasks();
    }
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("id", &self.core.id())
            .field("pending", &self.core.pending())
            .finish()
    }
}

fn spawn_on<F>(core: &Rc<Core>, name: &str, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let (task, handle) = task(future);
    let waker = core.spawn(name.to_owned(), Box::pin(task));
    handle.set_task_waker(waker);
    handle
}

/// Runs `future` on a new executor over the reactor `r` until it finishes, then stops `r`
/// (see [`Executor::block_on`]).
///
/// ```
/// use std::time::Duration;
/// use twinreactor_async::{block_on, now, sleep};
/// # use twinreactor_sim::Sim;
/// let mut sim = Sim::new(7);
/// let woke_at = block_on(&mut sim, async {
///     sleep(Duration::from_secs(5)).await?;
///     now()
/// });
/// assert_eq!(woke_at, Ok(Ok(Duration::from_secs(5))));
/// ```
pub fn block_on<F>(r: &mut dyn Reactor, future: F) -> Result<F::Output, RunError>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Executor::new(r).block_on(r, future)
}

/// Spawns `future` onto the executor of the task that calls it. Dropping the handle cancels
/// the task; see [`JoinHandle`].
pub fn spawn<F>(future: F) -> Result<JoinHandle<F::Output>, ContextError>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Ok(spawn_on(&context::current()?, type_name::<F>(), future))
}

/// [`spawn`] with a name, shown when the task is reported pending.
pub fn spawn_named<F>(name: &str, future: F) -> Result<JoinHandle<F::Output>, ContextError>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Ok(spawn_on(&context::current()?, name, future))
}
