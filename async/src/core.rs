//! The executor's state: tasks, the ready queue, and the reactor operations that polled
//! futures ask for.
//!
//! A future never holds the reactor: it only runs inside a reactor callback, so what it wants
//! done on the reactor (write, bind, arm a timer) is queued as an operation that runs right
//! after its poll returns, with the callback's `&mut dyn Reactor`. Tasks are polled from
//! reactor callbacks only: a timer, a remote call, or an event delivered to one of this
//! crate's protocols. So on the simulator the order of every poll is decided by the simulator,
//! and is a function of its seed.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use twinreactor::{Reactor, Remote};

use crate::context;

/// Any reactor operation, boxed.
type CallOp = Box<dyn FnOnce(&mut dyn Reactor)>;

/// A reactor operation queued by a polled future.
enum Op {
    /// Any operation.
    Call(CallOp),
    /// A frequent one (a stream's flush), queued without allocating.
    Flush(Rc<dyn Flush>),
}

/// An object that hands buffered bytes to the reactor when its queued flush runs.
pub(crate) trait Flush {
    /// Hands what is buffered to the reactor.
    fn flush(&self, r: &mut dyn Reactor);
}

/// A spawned task's future, wrapped so that it yields `()`.
pub(crate) type TaskFuture = Pin<Box<dyn Future<Output = ()>>>;

thread_local! {
    /// Live executors of this thread, for the remote calls that wake them (those must be
    /// `Send`, so they carry an id, not the executor).
    static REGISTRY: RefCell<HashMap<u64, Weak<Core>>> = RefCell::new(HashMap::new());
    /// The next executor id on this thread.
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

/// Tasks woken and not yet polled, shared with wakers (which may be on other threads).
#[derive(Default)]
struct ReadyQueue {
    tasks: Vec<u64>,
    /// A remote call that will poll the ready tasks is queued on the reactor.
    kick_pending: bool,
}

/// Wakes one task: queues it, and if its executor is not polling right now on this thread,
/// queues a remote call on the reactor that will poll it.
struct TaskWaker {
    task: u64,
    exec: u64,
    queued: AtomicBool,
    ready: Arc<Mutex<ReadyQueue>>,
    remote: Remote,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut ready = self.ready.lock().unwrap_or_else(PoisonError::into_inner);
        ready.tasks.push(self.task);
        if !context::is_current(self.exec) {
            kick(&mut ready, &self.remote, self.exec);
        }
    }
}

/// Queues one remote call that polls executor `exec`'s ready tasks, unless one is queued.
fn kick(ready: &mut ReadyQueue, remote: &Remote, exec: u64) {
    if ready.kick_pending {
        return;
    }
    ready.kick_pending = true;
    // The reactor may be gone: then nothing can run the task any more anyway.
    let _ = remote.call(move |r| {
        let core = REGISTRY.with(|reg| reg.borrow().get(&exec).and_then(Weak::upgrade));
        if let Some(core) = core {
            core.lock_ready().kick_pending = false;
            core.run_ready(r);
        }
    });
}

/// One spawned task.
struct Slot {
    /// Its spawn number, from 1.
    seq: u64,
    name: String,
    future: Option<TaskFuture>,
    waker: Arc<TaskWaker>,
}

/// The state of one executor.
pub(crate) struct Core {
    id: u64,
    remote: Remote,
    now: Cell<Duration>,
    /// Tasks by index; a finished task's index is reused (a stale waker then causes at
    /// most a spurious poll).
    tasks: RefCell<Vec<Option<Slot>>>,
    free: RefCell<Vec<usize>>,
    next_task: Cell<u64>,
    ready: Arc<Mutex<ReadyQueue>>,
    ops: RefCell<std::collections::VecDeque<Op>>,
    pass_scheduled: Cell<bool>,
    /// The vector the ready queue is swapped with for each pass.
    spare: Cell<Vec<u64>>,
}

impl Core {
    /// A new executor for the reactor behind `remote`, registered on this thread.
    pub(crate) fn new(remote: Remote, now: Duration) -> Rc<Self> {
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        });
        let core = Rc::new(Self {
            id,
            remote,
            now: Cell::new(now),
            tasks: RefCell::new(Vec::new()),
            free: RefCell::new(Vec::new()),
            next_task: Cell::new(1),
            ready: Arc::default(),
            ops: RefCell::default(),
            pass_scheduled: Cell::new(false),
            spare: Cell::new(Vec::new()),
        });
        REGISTRY.with(|reg| reg.borrow_mut().insert(id, Rc::downgrade(&core)));
        core
    }

    /// This executor's id (unique on its thread).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The reactor's clock as read when the current callback began.
    pub(crate) fn now(&self) -> Duration {
        self.now.get()
    }

    fn lock_ready(&self) -> std::sync::MutexGuard<'_, ReadyQueue> {
        self.ready.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a task and wakes it.
    pub(crate) fn spawn(&self, name: String, future: TaskFuture) -> Waker {
        let seq = self.next_task.get();
        self.next_task.set(seq + 1);
        let index = self.free.borrow_mut().pop();
        let index = index.unwrap_or_else(|| {
            let mut tasks = self.tasks.borrow_mut();
            tasks.push(None);
            tasks.len() - 1
        });
        let waker = Arc::new(TaskWaker {
            task: index as u64,
            exec: self.id,
            queued: AtomicBool::new(false),
            ready: Arc::clone(&self.ready),
            remote: self.remote.clone(),
        });
        self.tasks.borrow_mut()[index] = Some(Slot {
            seq,
            name: format!("task {seq} ({name})"),
            future: Some(future),
            waker: Arc::clone(&waker),
        });
        let waker = Waker::from(waker);
        waker.wake_by_ref();
        waker
    }

    /// Queues a reactor operation. It runs after the current poll, or (outside a poll) from
    /// a remote call on the reactor.
    pub(crate) fn defer(&self, op: impl FnOnce(&mut dyn Reactor) + 'static) {
        self.push_op(Op::Call(Box::new(op)));
    }

    /// Queues `object`'s flush, like [`Core::defer`].
    pub(crate) fn defer_flush(&self, object: Rc<dyn Flush>) {
        self.push_op(Op::Flush(object));
    }

    fn push_op(&self, op: Op) {
        self.ops.borrow_mut().push_back(op);
        if !context::is_current(self.id) {
            kick(&mut self.lock_ready(), &self.remote, self.id);
        }
    }

    /// The names of the tasks that have not finished, in spawn order.
    pub(crate) fn pending(&self) -> Vec<String> {
        let tasks = self.tasks.borrow();
        let mut live: Vec<&Slot> = tasks.iter().flatten().collect();
        live.sort_by_key(|slot| slot.seq);
        live.iter().map(|slot| slot.name.clone()).collect()
    }

    /// Drops every task (their futures, and so their I/O objects).
    pub(crate) fn drop_tasks(&self) {
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        self.free.borrow_mut().clear();
        drop(tasks);
    }

    /// Runs `f` (which wakes tasks) as this executor, then polls the ready tasks. For this
    /// crate's protocols and timers, whose callbacks have the reactor.
    pub(crate) fn deliver(weak: &Weak<Core>, r: &mut dyn Reactor, f: impl FnOnce()) {
        match weak.upgrade() {
            Some(core) => core.run_ready_after(r, f),
            None => f(),
        }
    }

    /// Polls every task that is ready now, each followed by the operations it queued.
    /// Tasks woken meanwhile are polled in a later pass (a zero-delay timer), so a task that
    /// keeps waking itself cannot starve I/O.
    pub(crate) fn run_ready(self: &Rc<Self>, r: &mut dyn Reactor) {
        self.run_ready_after(r, || {});
    }

    /// Runs `first` (which may wake tasks) as this executor, then [`Core::run_ready`].
    fn run_ready_after(self: &Rc<Self>, r: &mut dyn Reactor, first: impl FnOnce()) {
        self.now.set(r.now());
        context::enter(self, || {
            first();
            self.run_ops(r);
            // Swapped with a spare vector, so a pass allocates nothing once warmed up.
            let mut batch = self.spare.take();
            std::mem::swap(&mut batch, &mut self.lock_ready().tasks);
            for &task in &batch {
                self.poll_task(task);
                self.run_ops(r);
            }
            batch.clear();
            self.spare.set(batch);
        });
        if !self.lock_ready().tasks.is_empty() && !self.pass_scheduled.replace(true) {
            let weak = Rc::downgrade(self);
            r.call_later(
                Duration::ZERO,
                twinreactor::TimerFn::new(move |r| {
                    if let Some(core) = weak.upgrade() {
                        core.pass_scheduled.set(false);
                        core.run_ready(r);
                    }
                }),
            );
        }
    }

    fn run_ops(&self, r: &mut dyn Reactor) {
        loop {
            let op = self.ops.borrow_mut().pop_front();
            match op {
                Some(Op::Call(op)) => op(r),
                Some(Op::Flush(object)) => object.flush(r),
                None => return,
            }
        }
    }

    fn poll_task(&self, task: u64) {
        let index = usize::try_from(task).unwrap_or(usize::MAX);
        let taken = self.tasks.borrow_mut().get_mut(index).and_then(|slot| {
            let slot = slot.as_mut()?;
            slot.waker.queued.store(false, Ordering::Release);
            let waker = Waker::from(Arc::clone(&slot.waker));
            slot.future.take().map(|future| (future, waker))
        });
        let Some((mut future, waker)) = taken else {
            return;
        };
        if future
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
        {
            let slot = self
                .tasks
                .borrow_mut()
                .get_mut(index)
                .and_then(Option::take);
            self.free.borrow_mut().push(index);
            drop((future, slot));
        } else if let Some(Some(slot)) = self.tasks.borrow_mut().get_mut(index) {
            slot.future = Some(future);
        }
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        let id = self.id;
        // The registry may already be gone when the thread is ending.
        let _ = REGISTRY.try_with(|reg| reg.borrow_mut().remove(&id));
    }
}
