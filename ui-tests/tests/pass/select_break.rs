//! `break` in a select case, Go's rule and Rust's side by side: in `go_syntax!`'s `select { }`
//! and in `select!` clauses written `case ...:`, `break` leaves only the select and
//! `break L` / `continue` act on loops; in `select!`'s `=>` arms `break` leaves the loop.
use gocsp::prelude::*;

go_syntax! {
    // Go's own example: the case breaks on 0, the loop still runs 3 times.
    fn go_loop_runs_three_times() -> Vec<i32> {
        ch := make(chan i32, 3)
        ch <- 1
        ch <- 0
        ch <- 2
        seen := Vec::new()
        for _ in 0..3 {
            select {
            case v := <-ch:
                if v == 0 {
                    break
                }
                seen.push(v)
            }
            seen.push(-1)
        }
        seen
    }

    // `break L` leaves the labeled loop, `continue` goes on with the loop, `default:` too.
    fn labels_and_continue() -> (Vec<i32>, i32) {
        ch := make(chan i32, 8)
        for v in [1, 2, 3, 4, 5] {
            ch <- v
        }
        seen := Vec::new()
        rounds := 0
        'outer: loop {
            rounds += 1
            select {
            case v := <-ch:
                if v % 2 == 0 {
                    continue
                }
                if v == 5 {
                    break 'outer
                }
                seen.push(v)
            default:
                break
            }
            seen.push(0)
        }
        (seen, rounds)
    }

    // A loop inside a case keeps its own `break`; a nested select's break leaves only it.
    fn nested() -> Vec<i32> {
        a := make(chan i32, 1)
        b := make(chan i32, 1)
        a <- 1
        b <- 2
        seen := Vec::new()
        for round in 0..2 {
            select {
            case v := <-a:
                for i in 0.. {
                    if i == 2 {
                        break
                    }
                    seen.push(i)
                }
                select {
                case w := <-b:
                    if w == 2 {
                        break
                    }
                    seen.push(100)
                default:
                }
                seen.push(v)
            default:
                if round == 1 {
                    break
                }
                seen.push(99)
            }
            seen.push(-1)
        }
        seen
    }

    // A `select!` with `=>` arms inside a Go clause keeps Rust's rule: its `break` leaves the
    // loop around both selects, and its value reaches a `loop`.
    fn rust_arms_in_a_go_clause() -> (Vec<i32>, i32) {
        a := make(chan i32, 8)
        b := make(chan i32, 8)
        for v in [1, 2, 3, 4] {
            a <- v
            b <- v * 10
        }
        b <- 40
        seen := Vec::new()
        for {
            select {
            case v := <-a:
                select! {
                    w = <-b => {
                        if w == 20 {
                            continue;
                        }
                        if w == 30 {
                            break;
                        }
                        seen.push(w);
                    }
                }
                seen.push(v)
            }
            seen.push(0)
        }
        got := loop {
            select {
            case v := <-a:
                select {
                case <-b:
                    select! {
                        w = <-b => break w + v,
                    }
                }
            }
        }
        (seen, got)
    }
}

fn main() {
    assert_eq!(go_loop_runs_three_times(), [1, -1, -1, 2, -1]);
    assert_eq!(labels_and_continue(), (vec![1, 0, 3, 0], 5));
    assert_eq!(nested(), [0, 1, 1, -1, -1]);
    assert_eq!(rust_arms_in_a_go_clause(), (vec![10, 1, 0], 44));

    // `select!` with Go clauses: Go's rule.
    let ch: Chan<i32> = make!(chan i32, 3);
    for v in [1, 0, 2] {
        ch.send(v);
    }
    let mut runs = 0;
    for _ in 0..3 {
        runs += 1;
        select! {
        case v := <-ch:
            if v == 0 {
                break;
            }
        }
    }
    assert_eq!(runs, 3);

    // `select!` with `=>` arms: Rust's rule, `break` leaves the loop.
    for v in [1, 0, 2] {
        ch.send(v);
    }
    let mut runs = 0;
    for _ in 0..3 {
        runs += 1;
        select! {
            v = <-ch => {
                if v == 0 {
                    break;
                }
            }
        }
    }
    assert_eq!(runs, 2);

    // `=>` arms nested in a Go clause keep Rust's rule: their `break` leaves the loop around
    // both selects, and `break 'l` / `continue` still reach past the clause.
    let (a, b): (Chan<i32>, Chan<i32>) = (make!(chan i32, 8), make!(chan i32, 8));
    for v in [1, 2, 3, 4] {
        a.send(v);
        b.send(v * 10);
    }
    let mut seen = Vec::new();
    loop {
        select! {
        case v := <-a:
            if v == 9 {
                break; // leaves the clause (never taken here)
            }
            select! {
                w = <-b => {
                    if w == 20 {
                        continue;
                    }
                    if w == 30 {
                        break;
                    }
                    seen.push(w);
                }
            }
            seen.push(v);
        }
        seen.push(0);
    }
    assert_eq!(seen, [10, 1, 0]);

    // The value of a `break` from a `=>` arm reaches the `loop`, through two Go clauses.
    b.send(40);
    let got = loop {
        select! {
        case v := <-a:
            select! {
            case <-b:
                select! {
                    w = <-b => break w + v,
                }
            }
        }
    };
    assert_eq!(got, 44);

    // A `select!` nested in a clause is still a statement list there, as it is alone: its
    // clauses may end in values of different types.
    fn sum(a: i32, b: i32) -> i32 {
        a + b
    }
    a.send(1);
    b.send(2);
    select! {
    case v := <-a:
        let unit = select! {
        case w := <-b:
            sum(w, v)
        case <-a:
            "a string"
        };
        assert_eq!(unit, ());
    }
}
