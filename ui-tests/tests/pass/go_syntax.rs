//! `go_syntax!`: every Go form it accepts, run and checked.
use gocsp::prelude::*;

go_syntax! {
    // Channel types in parameters and returns; `for range`; `close`.
    fn double(src: <-chan i32, dst: chan<- i32) {
        for v := range src { dst <- v * 2 }
        close(dst)
    }

    // Go-style parameters (`name Type`, grouped), and a returned value.
    fn sum(a, b i32, c i32) -> i32 {
        a + b + c
    }

    // The last expression of a function body is its value, `<-ch` included.
    fn first(ch <-chan i32) -> i32 {
        <-ch
    }

    // A receive that starts a statement stays an expression: `<-a + <-a` adds.
    fn first_two(a <-chan i32) -> i32 {
        <-a + <-a
    }

    // A function returning a channel type.
    fn generate(n: i32) -> <-chan i32 {
        ch := make(chan i32, n)
        for i in 0..n {
            ch <- i
        }
        close(ch)
        ch.receiver()
    }

    fn run() -> i32 {
        src := make(chan i32, 3)
        dst := make(chan i32, 3)
        // `src` and `dst` convert to the parameters' directions, and stay usable here.
        go double(src, dst)
        src <- 1; src <- 2; src <- 3
        close(src)
        total := 0
        for v := range dst { total += v }
        // `for v = range ch` assigns each value to the existing `v`: the last one stays.
        last := make(chan i32, 3)
        last <- 7; last <- 8; last <- 9
        close(last)
        seen := 0
        for seen = range last {
            assert!(seen >= 7)
        }
        assert_eq!(seen, 9)
        total
    }

    fn statements() {
        // `x := e`, `a, b := e1, e2`, `a, b := tuple`.
        x := 1
        a, b := 2, 3
        c, d := (4, 5)
        x += a + b + c + d
        assert_eq!(x, 15)

        // `v, ok := <-ch`, `<-ch` as a value and as a statement, `len`, `cap`.
        ch := make(chan i32, 2)
        ch <- 10
        ch <- 20
        assert_eq!(len(ch), 2)
        assert_eq!(cap(ch), 2)
        v, ok := <-ch
        assert_eq!((v, ok), (10, true))
        <-ch
        close(ch)
        v, ok = <-ch
        assert_eq!((v, ok), (0, false))
        zero := <-ch
        assert_eq!(zero, 0)

        // `go func(params) { body }(args)`: arguments evaluated now.
        results := make(chan i32)
        for i in 0..3 {
            go func(id i32, out chan<- i32) {
                out <- id * id
            }(i, results)
        }
        got := vec![<-results, <-results, <-results]
        got.sort()
        assert_eq!(got, [0, 1, 4])

        // A `go func` may assign a captured variable the caller does not use again: its own
        // copy, as good as Go's shared one here.
        count := 0
        sum := make(chan i32, 1)
        go func() {
            for i in 0..4 { count += i }
            sum <- count
        }()
        assert_eq!(<-sum, 6)

        // `go f(args)`.
        done := make(chan bool)
        go signal(done)
        assert!(<-done)

        // `for { }` with `break`, and a Rust method chain continued on the next line.
        n := 0
        for {
            n += 1
            if n == 3 { break }
        }
        words := vec!["a", "b"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
        assert_eq!((n, words.len()), (3, 2))

        // Go's labels: `Outer:` before a loop, `break Outer`, `continue Outer`, also from a
        // select clause.
        found := 0
        Outer:
        for i in 0..3 {
            for j in 0..3 {
                if j == 1 { continue Outer }
                if i == 2 { break Outer }
                found += 1
            }
        }
        assert_eq!(found, 2)
        stop := make(chan (), 1)
        ticks := 0
        Loop:
        for {
            select {
            case <-stop:
                break Loop
            default:
                ticks += 1
                if ticks == 3 { stop <- () }
            }
        }
        assert_eq!(ticks, 3)

        // `select` with Go's clauses.
        quit := make(chan (), 1)
        data := make(chan i32, 1)
        data <- 5
        select {
        case v := <-data:
            assert_eq!(v, 5)
        case <-quit:
            panic!("quit")
        }
        select {
        case v := <-data:
            panic!("got {v}")
        default:
        }

        // `defer`, last in first out.
        log := make(chan &'static str, 3)
        {
            defer log <- "first deferred"
            defer func() {
                log <- "second deferred"
            }()
            log <- "body"
        }
        order := vec![<-log, <-log, <-log]
        assert_eq!(order, ["body", "second deferred", "first deferred"])

        // `a < -b` with a space is a comparison.
        m := 1
        assert!(!(m < -1))
    }

    fn signal(done chan<- bool) {
        done <- true
    }

    fn lets_and_generics() -> usize {
        let pipes: Vec<chan i32> = (0..3).map(|_| make(chan i32, 1)).collect()
        let rx: <-chan i32 = pipes[0].receiver()
        pipes[0] <- 9
        assert_eq!(<-rx, 9)
        pipes.len()
    }

    // Inside go_syntax!, an `#[owner]` body may use Go statements too.
    #[owner(buffer = 2)]
    fn evens(n: i32, out chan<- i32) {
        for i in 0..n {
            if i % 2 == 0 { out <- i }
        }
    }

    struct Tally {
        out: chan<- usize,
    }

    impl Tally {
        fn report(&self, n: usize) {
            self.out <- n
        }
    }

    fn method_goroutine() -> usize {
        ch := make(chan usize, 1)
        t := Tally { out: ch.sender() }
        go t.report(5)
        <-ch
    }

    fn question_mark() -> Result<i32, String> {
        ch := make(chan i32, 1)
        ch <- 4
        v := "7".parse::<i32>()
            .map_err(|e| e.to_string())
            ?
        Ok(v + <-ch)
    }
}

fn main() {
    assert_eq!(run(), 12);
    assert_eq!(sum(1, 2, 3), 6);
    let ch = make!(chan i32, 1);
    ch.send(8);
    assert_eq!(first(ch.receiver()), 8);
    let two = make!(chan i32, 2);
    two.send(3);
    two.send(4);
    assert_eq!(first_two(two.receiver()), 7);
    assert_eq!(generate(3).iter().collect::<Vec<_>>(), [0, 1, 2]);
    statements();
    assert_eq!(lets_and_generics(), 3);
    assert_eq!(question_mark(), Ok(11));
    assert_eq!(evens(5).iter().collect::<Vec<_>>(), [0, 2, 4]);
    assert_eq!(method_goroutine(), 5);

    // In statement position, the Go statements run in place.
    let out = make!(chan i32, 1);
    go_syntax! {
        out <- 1 + 1
    }
    assert_eq!(out.recv(), Some(2));
}
