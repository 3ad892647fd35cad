//! The words of blocking, shared by the scheduler core (which parks and wakes goroutines) and
//! the waiter layer above it (which completes blocked operations): the values of a waiter's
//! selection word, and why a party is blocked. It imports nothing from the crate, so both
//! layers can name them without naming each other. `waiter.rs` explains the protocol.

use std::fmt;

/// Blocked; nobody has claimed the waiter yet.
pub(crate) const WAITING: usize = 0;
/// The owner gave up (a select found a case ready after registering).
pub(crate) const ABORTED: usize = 1;
/// Set together with an operation's token when its channel was closed.
pub(crate) const CLOSED_BIT: usize = 2;
/// A goroutine killed by the drop of its runtime. 3 is free: every `oper` is at least 4, and
/// `CLOSED_BIT` is only ever set together with an `oper`.
#[cfg(not(loom))]
pub(crate) const DEAD: usize = 3;

/// Why a waiter is blocked, in Go's words (shown in deadlock reports and goroutine dumps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum BlockReason {
    ChanSend = 1,
    ChanRecv,
    ChanSendNil,
    ChanRecvNil,
    Select,
    SelectNoCases,
    Sleep,
    WaitGroup,
    Mutex,
    Join,
    Blocking,
    NetIo,
    RWMutexRLock,
    RWMutexLock,
    Once,
    Cond,
    /// The main thread waiting for the main goroutine (`#[gocsp::main]`).
    MainGoroutine,
}

impl BlockReason {
    pub(crate) fn from_u8(v: u8) -> Option<Self> {
        use BlockReason::*;
        Some(match v {
            1 => ChanSend,
            2 => ChanRecv,
            3 => ChanSendNil,
            4 => ChanRecvNil,
            5 => Select,
            6 => SelectNoCases,
            7 => Sleep,
            8 => WaitGroup,
            9 => Mutex,
            10 => Join,
            11 => Blocking,
            12 => NetIo,
            13 => RWMutexRLock,
            14 => RWMutexLock,
            15 => Once,
            16 => Cond,
            17 => MainGoroutine,
            _ => return None,
        })
    }
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlockReason::ChanSend => "chan send",
            BlockReason::ChanRecv => "chan receive",
            BlockReason::ChanSendNil => "chan send (nil chan)",
            BlockReason::ChanRecvNil => "chan receive (nil chan)",
            BlockReason::Select => "select",
            BlockReason::SelectNoCases => "select (no cases)",
            BlockReason::Sleep => "sleep",
            BlockReason::WaitGroup => "sync.WaitGroup.Wait",
            BlockReason::Mutex => "sync.Mutex.Lock",
            BlockReason::Join => "join",
            BlockReason::Blocking => "blocking call",
            BlockReason::NetIo => "IO wait",
            BlockReason::RWMutexRLock => "sync.RWMutex.RLock",
            BlockReason::RWMutexLock => "sync.RWMutex.Lock",
            BlockReason::Once => "sync.Once.Do",
            BlockReason::Cond => "sync.Cond.Wait",
            BlockReason::MainGoroutine => "main goroutine",
        })
    }
}
