//! `make!(chan T[, n])` (with parentheses, braces or brackets) and `defer!`: LIFO, at scope
//! exit, also while unwinding; borrows what it uses.
use gocsp::prelude::*;
use std::cell::RefCell;

fn main() {
    let unbuffered: Chan<String> = make!(chan String);
    let buffered = make!(chan i32, 16);
    let n: u8 = 3;
    let from_u8 = make! { chan (i32, String), n };
    let nested: Chan<Receiver<i32>> = make!(chan (<-chan i32), 1);
    assert_eq!(
        (
            unbuffered.cap(),
            buffered.cap(),
            from_u8.cap(),
            nested.cap()
        ),
        (0, 16, 3, 1)
    );
    nested.send(buffered.receiver());

    // rustfmt respaces `make!(..)` and `make![..]` arguments that parse as expressions
    // (`make!(chan (u32, u32))` to `make!(chan(u32, u32))`): same tokens, same channels.
    // It leaves braces alone.
    let pairs: Chan<(u32, u32)> = make!(chan(u32, u32));
    let names: Chan<&str> = make!(chan & str, 2);
    let done: Chan<()> = make!(chan(), 1);
    assert_eq!((pairs.cap(), names.cap(), done.cap()), (0, 2, 1));
    let pairs: Chan<(u32, u32)> = make! { chan (u32, u32) };
    let names: Chan<&str> = make! { chan &str, 2 };
    let done: Chan<()> = make! { chan (), 1 };
    let bracketed: Chan<(u32, u32)> = make![chan(u32, u32), 3];
    assert_eq!(
        (pairs.cap(), names.cap(), done.cap(), bracketed.cap()),
        (0, 2, 1, 3)
    );

    let log = RefCell::new(Vec::new());
    {
        defer!(log.borrow_mut().push("first deferred, runs last"));
        defer! {
            log.borrow_mut().push("second deferred, runs first");
        }
        log.borrow_mut().push("body");
    }
    assert_eq!(
        *log.borrow(),
        [
            "body",
            "second deferred, runs first",
            "first deferred, runs last"
        ]
    );

    // Deferred statements run while unwinding too.
    let ch = make!(chan i32, 1);
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        defer!(ch.close());
        panic!("boom");
    }));
    assert!(result.is_err());
    assert_eq!(ch.recv(), None, "the deferred close ran during the panic");

    // Go's send statement in a deferred block.
    let out = make!(chan i32, 1);
    {
        defer! { out <- 42 }
    }
    assert_eq!(out.recv(), Some(42));
}
