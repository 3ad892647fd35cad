//! `select` inside `go_syntax!`: Go's `select { case ... }` as a value (the chosen clause's
//! last expression, when every clause ends in one), and the `select!` macro, whose arm bodies
//! take every Go form there.
use gocsp::prelude::*;

go_syntax! {
    // A select is the function's value: each clause ends in an expression.
    fn first_or_zero(a <-chan i32) -> i32 {
        select {
        case v := <-a:
            v
        default:
            0
        }
    }

    // ... a clause may also end by leaving the function.
    fn doubled_or_quit(a <-chan i32, quit <-chan bool) -> i32 {
        select {
        case v := <-a:
            w := v * 2
            w
        case <-quit:
            return -1
        }
    }

    // A select that is not the tail is a statement, whatever its clauses end in.
    fn count_ready(a <-chan i32, b <-chan i32) -> i32 {
        n := 0
        select {
        case v := <-a:
            n += 1
            v
        case v := <-b:
            v + 100
        default:
            0
        }
        select {
        case v := <-b:
            n += v
        default:
        }
        n
    }

    // A clause ending in a statement makes every clause a statement list: the select is `()`.
    fn record(a <-chan i32, log chan<- i32) {
        select {
        case v := <-a:
            log <- v
        default:
            log <- -1
        }
    }

    // The select as a block's value and a closure's value.
    fn in_blocks(a chan i32) -> (i32, i32) {
        a <- 1
        x := {
            select {
            case v := <-a:
                v + 10
            default:
                -1
            }
        }
        a <- 2
        take := || {
            select {
            case v := <-a:
                v + 20
            default:
                -1
            }
        }
        (x, take())
    }

    // `select!` is Rust, accepted as is; its arm bodies take Go's forms here too.
    fn relay(src <-chan i32, dst chan<- i32, quit <-chan bool) -> i32 {
        forwarded := 0
        for {
            select! {
                v, ok = <-src => {
                    if !ok {
                        close(dst)
                        return forwarded
                    }
                    doubled := v * 2
                    dst <- doubled
                    forwarded += 1
                }
                <-quit => return -1,
            }
        }
    }

    // `select!` as a value, in both arm styles, and in statement position.
    fn macro_values(a chan i32) -> (i32, i32) {
        a <- 3
        x := select! {
            v = <-a => v,
            default => 0,
        }
        a <- 4
        y := select! {
        case v := <-a:
            v
        default:
            0
        }
        select! {
            v = <-a => panic!("empty, yet got {v}"),
            default => {}
        }
        (x, y)
    }
}

fn main() {
    let a: Chan<i32> = make!(chan i32, 4);
    assert_eq!(first_or_zero(a.receiver()), 0);
    a.send(7);
    assert_eq!(first_or_zero(a.receiver()), 7);

    let quit: Chan<bool> = make!(chan bool, 1);
    a.send(4);
    assert_eq!(doubled_or_quit(a.receiver(), quit.receiver()), 8);
    quit.send(true);
    assert_eq!(doubled_or_quit(a.receiver(), quit.receiver()), -1);

    let (c, b): (Chan<i32>, Chan<i32>) = (make!(chan i32, 1), make!(chan i32, 1));
    c.send(1);
    b.send(5);
    // Both are ready: the first select takes one of them; if it took `c` (n = 1), the second
    // takes 5 from `b`.
    let n = count_ready(c.receiver(), b.receiver());
    assert!(n == 6 || n == 0, "n = {n}");

    let log: Chan<i32> = make!(chan i32, 2);
    record(a.receiver(), log.sender());
    a.send(9);
    record(a.receiver(), log.sender());
    assert_eq!((log.recv(), log.recv()), (Some(-1), Some(9)));

    assert_eq!(in_blocks(make!(chan i32, 1)), (11, 22));

    let (src, dst): (Chan<i32>, Chan<i32>) = (make!(chan i32, 3), make!(chan i32, 3));
    for v in 1..=3 {
        src.send(v);
    }
    src.close();
    let never: Chan<bool> = make!(chan bool);
    assert_eq!(relay(src.receiver(), dst.sender(), never.receiver()), 3);
    assert_eq!(dst.iter().collect::<Vec<_>>(), [2, 4, 6]);

    assert_eq!(macro_values(make!(chan i32, 1)), (3, 4));
}
