//! `select!` with `=>` arms: every case form, `default`, `biased;`, nil channels, zero values
//! after close, `Some(v)` patterns, values, `break`/`continue` in arm bodies, and block-like
//! bodies (`if`/`else`, `match`, loops, blocks) that, as in `match`, need no comma.
use gocsp::prelude::*;
use std::time::Duration;

#[derive(Debug, PartialEq)]
struct NoZero(u32);

fn main() {
    let data: Chan<i32> = make!(chan i32, 4);
    let out: Chan<i32> = make!(chan i32, 1);
    let quit: Chan<()> = make! { chan (), 1 };

    // Receive.
    data.send(1);
    let got = select! {
        v = <-data => v,
        <-quit => -1,
    };
    assert_eq!(got, 1);

    // Receive with ok, then the zero value and `false` once closed and drained.
    data.send(2);
    select! {
        v, ok = <-data => assert_eq!((v, ok), (2, true)),
    }
    let closed: Chan<i32> = make!(chan i32);
    closed.close();
    select! {
        v, ok = <-closed => assert_eq!((v, ok), (0, false)),
    }
    select! {
        v = <-closed => assert_eq!(v, 0),
    }

    // Send.
    select! {
        out <- 5 => {}
        <-quit => unreachable!(),
    }
    assert_eq!(out.recv(), Some(5));

    // Default when nothing is ready; the losing send's value is never sent.
    let full: Chan<i32> = make!(chan i32, 1);
    full.send(0);
    let ran = select! {
        full <- 9 => "sent",
        v = <-quit => { let () = v; "quit" }
        default => "default",
    };
    assert_eq!(ran, "default");
    assert_eq!(full.len(), 1);

    // One case plus default (the fast path), receive and send.
    select! {
        v = <-data => panic!("nothing was sent, got {v}"),
        default => {}
    }
    data.send(3);
    select! {
        v = <-data => assert_eq!(v, 3),
        default => panic!("a value was ready"),
    }
    select! {
        out <- 6 => {}
        default => panic!("room in the buffer"),
    }
    select! {
        out <- 7 => panic!("the buffer is full"),
        default => {}
    }
    assert_eq!(out.recv(), Some(6));

    // `Some(v)` receives an Option; a closed channel disables the case, the select goes on.
    let no_zero: Chan<NoZero> = make!(chan NoZero, 1);
    no_zero.send(NoZero(8));
    select! {
        Some(v) = <-no_zero => assert_eq!(v, NoZero(8)),
    }
    no_zero.close();
    let timeout = time::after(Duration::from_millis(20));
    let which = select! {
        Some(v) = <-no_zero => panic!("closed, yet got {v:?}"),
        <-timeout => "timeout",
    };
    assert_eq!(which, "timeout");
    select! {
        Some(_) = <-no_zero => panic!("closed"),
        default => {}
    }
    select! {
        v: Option<_> = <-no_zero => assert_eq!(v, None),
        default => panic!("a closed channel is ready"),
    }

    // A discarding receive needs no zero value.
    let nz: Chan<NoZero> = make!(chan NoZero, 1);
    nz.send(NoZero(1));
    select! {
        <-nz => {}
    }

    // Nil channels never fire.
    let nil: Chan<i32> = Chan::nil();
    data.send(4);
    select! {
        v = <-nil => panic!("nil channel fired with {v}"),
        nil <- 1 => panic!("nil channel accepted a send"),
        v = <-data => assert_eq!(v, 4),
    }
    select! {
        v = <-nil => panic!("nil channel fired with {v}"),
        default => {}
    }

    // `biased;` takes the first ready case in source order.
    for _ in 0..50 {
        data.send(1);
        out.send(2);
        select! {
            biased;
            v = <-data => assert_eq!(v, 1),
            v = <-out => panic!("biased select took the second case ({v})"),
        }
        assert_eq!(out.recv(), Some(2));
    }

    // Without it, both ready cases get picked over many rounds.
    let (mut a, mut b) = (0, 0);
    for _ in 0..200 {
        data.send(1);
        out.send(2);
        select! {
            _ = <-data => { a += 1; out.recv(); }
            _ = <-out => { b += 1; data.recv(); }
        }
    }
    assert!(a > 0 && b > 0, "a={a} b={b}");

    // `break` and `continue` in arm bodies refer to the loop around the select.
    let ticks = make!(chan u32, 8);
    for i in 0..8 {
        ticks.send(i);
    }
    let mut seen = Vec::new();
    loop {
        select! {
            v = <-ticks => {
                if v % 2 == 1 {
                    continue;
                }
                if v == 6 {
                    break;
                }
                seen.push(v);
            }
        }
    }
    assert_eq!(seen, [0, 2, 4]);

    // Go's `<-` statements in arm bodies.
    let relay: Chan<i32> = make!(chan i32, 1);
    data.send(10);
    select! {
        v = <-data => {
            relay <- v + 1
        }
    }
    select! {
        v = <-relay => assert_eq!(v, 11),
    }

    // Receive operands are borrowed; they stay usable afterwards.
    let rx = data.receiver();
    data.send(12);
    select! {
        v = <-rx => assert_eq!(v, 12),
    }
    data.send(13);
    assert_eq!(rx.recv(), Some(13));

    // `<-` on an expression: a method call result.
    let ctx_done = {
        let (ctx, cancel) = context::with_cancel(&context::background());
        cancel();
        ctx
    };
    select! {
        <-ctx_done.done() => {}
        default => panic!("a cancelled context's done channel is closed"),
    }

    // Block-like bodies end the arm without a comma, as in `match`: the next arm is not
    // swallowed.
    let (a, b): (Chan<i32>, Chan<i32>) = (make!(chan i32, 1), make!(chan i32, 1));
    let mut log = Vec::new();
    for round in 0..4 {
        match round {
            0 => a.send(5),
            1 => a.send(0),
            2 => b.send(1),
            _ => {}
        }
        select! {
            biased;
            v = <-a => if v > 0 { log.push("a") } else { log.push("zero") }
            <-b => match round { 2 => log.push("b"), _ => unreachable!() }
            default => loop { log.push("default"); break }
        }
    }
    assert_eq!(log, ["a", "zero", "b", "default"]);
    b.send(2);
    let got = select! {
        v = <-a => v,
        v = <-b => 'found: { if v == 2 { break 'found v * 10 } 0 }
        default => -1,
    };
    assert_eq!(got, 20);
}
