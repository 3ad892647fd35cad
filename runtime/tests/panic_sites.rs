//! Runtime misuse panics with Go's message at the user's line, not a line of gocsp: send on a
//! closed channel (buffered and unbuffered, method and `go_syntax!`/`select!` forms), close of
//! a closed or nil channel, a negative `WaitGroup` counter, unlock of an unlocked mutex, a
//! semaphore released more than held, a ticker with a zero period. Threads only, so Miri can run it.
#![cfg(not(loom))]

mod common;

use common::panic_site_of;
use gocsp::prelude::*;
use gocsp::sync::{Mutex, RWMutex, Semaphore};

/// `file:line` of the line after the call to this macro's expansion.
macro_rules! next_line {
    () => {
        format!("{}:{}", file!(), line!() + 1)
    };
}

/// `make(chan T, -1)` (through `make!` or `go_syntax!`'s `make`) names the user's line.
#[test]
fn a_negative_capacity_names_the_make_line() {
    let n: i32 = -1;
    let here = next_line!();
    let (msg, site) = panic_site_of(|| make!(chan i32, n));
    assert_eq!((msg.as_str(), site), ("makechan: size out of range", here));
}

#[test]
fn send_on_closed_channel_names_the_senders_line() {
    for cap in [0, 1] {
        let ch: Chan<i32> = Chan::new(cap);
        ch.close();
        let here = next_line!();
        let (msg, site) = panic_site_of(|| ch.send(1));
        assert_eq!((msg.as_str(), site), ("send on closed channel", here));
        let tx = ch.sender();
        let here = next_line!();
        let (msg, site) = panic_site_of(|| tx.send(1));
        assert_eq!((msg.as_str(), site), ("send on closed channel", here));
    }
}

#[cfg(not(miri))]
#[test]
fn a_sender_blocked_when_the_channel_closes_names_its_own_line() {
    for cap in [0, 1] {
        let ch: Chan<i32> = Chan::new(cap);
        if cap == 1 {
            ch.send(0); // full: the next send blocks
        }
        let tx = ch.sender();
        let here = next_line!();
        let h = gocsp::spawn(move || panic_site_of(|| tx.send(1)));
        common::wait_blocked(h.id(), "chan send");
        ch.close();
        let (msg, site) = h.join().unwrap();
        assert_eq!((msg.as_str(), site), ("send on closed channel", here));
    }
}

#[test]
fn send_on_closed_channel_in_go_syntax_names_the_statement() {
    for cap in [0, 1] {
        let ch: Chan<i32> = Chan::new(cap);
        ch.close();
        let here = format!("{}:{}", file!(), line!() + 2);
        let (msg, site) = panic_site_of(|| {
            go_syntax! { ch <- 1 }
        });
        assert_eq!((msg.as_str(), site), ("send on closed channel", here));
    }
}

#[test]
fn close_of_closed_or_nil_channel_names_the_closers_line() {
    let ch: Chan<i32> = Chan::new(0);
    ch.close();
    let here = next_line!();
    let (msg, site) = panic_site_of(|| ch.close());
    assert_eq!((msg.as_str(), site), ("close of closed channel", here));
    let nil: Chan<i32> = Chan::nil();
    let here = next_line!();
    let (msg, site) = panic_site_of(|| nil.close());
    assert_eq!((msg.as_str(), site), ("close of nil channel", here));
    let tx = ch.sender();
    let here = format!("{}:{}", file!(), line!() + 2);
    let (msg, site) = panic_site_of(|| {
        go_syntax! { close(tx) }
    });
    assert_eq!((msg.as_str(), site), ("close of closed channel", here));
}

#[test]
fn negative_waitgroup_counter_names_the_callers_line() {
    let wg = WaitGroup::new();
    let here = next_line!();
    let (msg, site) = panic_site_of(|| wg.done());
    assert_eq!(
        (msg.as_str(), site),
        ("sync: negative WaitGroup counter", here)
    );
    let here = next_line!();
    let (msg, site) = panic_site_of(|| wg.add(-2));
    assert_eq!(
        (msg.as_str(), site),
        ("sync: negative WaitGroup counter", here)
    );
}

#[test]
fn unlock_of_unlocked_mutex_names_the_callers_line() {
    let mu = Mutex::new(());
    let here = next_line!();
    let (msg, site) = panic_site_of(|| mu.unlock());
    assert_eq!(
        (msg.as_str(), site),
        ("sync: unlock of unlocked mutex", here)
    );
    mu.lock_unguarded();
    mu.unlock();
    let here = next_line!();
    let (msg, site) = panic_site_of(|| mu.unlock());
    assert_eq!(
        (msg.as_str(), site),
        ("sync: unlock of unlocked mutex", here)
    );

    let rw = RWMutex::new(());
    let here = next_line!();
    let (msg, site) = panic_site_of(|| rw.unlock());
    assert_eq!(
        (msg.as_str(), site),
        ("sync: Unlock of unlocked RWMutex", here)
    );
    let here = next_line!();
    let (msg, site) = panic_site_of(|| rw.runlock());
    assert_eq!(
        (msg.as_str(), site),
        ("sync: RUnlock of unlocked RWMutex", here)
    );
}

#[test]
fn semaphore_released_more_than_held_names_the_callers_line() {
    let sem = Semaphore::new(1);
    let here = next_line!();
    let (msg, site) = panic_site_of(|| sem.release(1));
    assert_eq!(
        (msg.as_str(), site),
        ("semaphore: released more than held", here)
    );
}

#[test]
fn a_ticker_with_a_zero_period_names_the_callers_line() {
    let here = next_line!();
    let (msg, site) = panic_site_of(|| time::Ticker::new(std::time::Duration::ZERO));
    assert_eq!(
        (msg.as_str(), site),
        ("non-positive interval for NewTicker", here)
    );
}

#[test]
fn a_select_sending_on_a_closed_channel_names_the_selects_line() {
    for cap in [0, 1] {
        let ch: Chan<i32> = Chan::new(cap);
        ch.close();
        let idle: Chan<i32> = Chan::new(0);
        let expect = |(msg, site): (String, String), here: String| {
            assert_eq!(
                (msg.as_str(), site),
                ("send on closed channel", here),
                "cap {cap}"
            );
        };
        // Blocking `select!`: the send case is the only one that can be chosen.
        let here = format!("{}:{}", file!(), line!() + 2);
        let got = panic_site_of(|| {
            select! {
                ch <- 1 => {}
                v = <-idle => { let _ = v; }
            }
        });
        expect(got, here);
        // The `Select` builder, blocking and with default.
        let mut sel = gocsp::Select::new();
        sel.send(&ch, 1);
        let here = next_line!();
        expect(panic_site_of(|| sel.select()), here);
        let mut sel = gocsp::Select::new();
        sel.send(&ch, 1);
        let here = next_line!();
        expect(panic_site_of(|| sel.try_select()), here);
    }
}
