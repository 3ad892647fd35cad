//! `select!` with Go's own clause syntax: `case v := <-rx:`, `case v = <-rx:` (assigns),
//! `case v, ok := <-rx:`, `case tx <- v:`, `default:`, several statements per clause.
use gocsp::prelude::*;

fn main() {
    let jobs: Chan<i32> = make!(chan i32, 4);
    let results: Chan<i32> = make!(chan i32, 4);
    let done: Chan<()> = make! { chan (), 1 };

    jobs.send(20);
    let mut log = Vec::new();
    select! {
    case j := <-jobs:
        log.push("job");
        results <- j * 2
    case <-done:
        log.push("done")
    }
    assert_eq!(log, ["job"]);
    assert_eq!(results.recv(), Some(40));

    // `case v = <-rx:` assigns to an existing variable, as in Go.
    let mut last = 0;
    assert_eq!(last, 0);
    jobs.send(7);
    select! {
    case last = <-jobs:
    }
    assert_eq!(last, 7);

    let mut ok = true;
    assert!(ok);
    jobs.close();
    select! {
    case last, ok = <-jobs:
    }
    assert_eq!((last, ok), (0, false));

    select! {
    case v, ok := <-jobs:
        assert_eq!((v, ok), (0, false));
    }

    select! {
    case results <- 1:
        log.push("sent");
    default:
        log.push("default")
    }
    let full: Chan<i32> = make!(chan i32);
    select! {
    case full <- 1:
        log.push("sent");
    default:
        log.push("default")
    }
    assert_eq!(log, ["job", "sent", "default"]);

    // `biased;` works here too.
    done.send(());
    results.send(2);
    select! {
    biased;
    case <-done:
        log.push("first");
    case <-results:
        log.push("second");
    }
    assert_eq!(log.last(), Some(&"first"));
}
