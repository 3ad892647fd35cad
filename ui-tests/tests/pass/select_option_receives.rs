//! Receives over `Option<T>`, for element types without a zero value: `Some(v) = <-rx` takes
//! values and is disabled once `rx` is closed; `v: Option<_> = <-rx` binds the `Option<T>`
//! itself (`None` once closed). Neither can drop a received value: every value sent arrives.
use gocsp::prelude::*;

#[derive(Debug, PartialEq)]
struct Job(u32);

fn main() {
    // Both forms over one buffered channel, in a loop: every value arrives, in order, and the
    // close is noticed by the `Option` arm.
    for _ in 0..20 {
        let jobs: Chan<Job> = make!(chan Job, 100);
        for i in 0..100 {
            jobs.send(Job(i));
        }
        jobs.close();
        let mut got = Vec::new();
        let mut closes = 0;
        loop {
            select! {
                Some(job) = <-jobs => got.push(job.0),
                job: Option<_> = <-jobs => match job {
                    Some(job) => got.push(job.0),
                    None => {
                        closes += 1;
                        break;
                    }
                }
            }
        }
        assert_eq!(got, (0..100).collect::<Vec<_>>());
        assert_eq!(closes, 1);
    }

    // `Some(v)` with a tuple inside, and `mut`; Go's clause syntax too.
    let pairs: Chan<(Job, Job)> = make! { chan (Job, Job), 2 };
    pairs.send((Job(1), Job(2)));
    select! {
        Some((a, _)) = <-pairs => assert_eq!(a, Job(1)),
    }
    pairs.send((Job(3), Job(4)));
    select! {
    case Some(mut p) := <-pairs:
        p.0.0 += 10;
        assert_eq!(p, (Job(13), Job(4)))
    }

    // Once closed, a `Some(v)` case is disabled: the select goes on with the others.
    pairs.close();
    let quit: Chan<()> = make! { chan (), 1 };
    quit.send(());
    let which = select! {
        Some(_) = <-pairs => "pairs",
        <-quit => "quit",
    };
    assert_eq!(which, "quit");

    // One case and `default` (a single attempt): a value, then `None` once closed.
    let one: Chan<Job> = make!(chan Job, 1);
    select! {
        job: Option<Job> = <-one => panic!("empty, yet got {job:?}"),
        default => {}
    }
    one.send(Job(5));
    select! {
        job: Option<Job> = <-one => assert_eq!(job, Some(Job(5))),
        default => panic!("a value was ready"),
    }
    one.send(Job(6));
    select! {
        Some(job) = <-one => assert_eq!(job, Job(6)),
        default => panic!("a value was ready"),
    }
    one.close();
    select! {
        job: Option<Job> = <-one => assert_eq!(job, None),
        default => panic!("a closed channel is ready"),
    }
    select! {
        Some(job) = <-one => panic!("closed, yet got {job:?}"),
        default => {}
    }

    // Between goroutines: a consumer that needs no zero value stops at the close, having
    // received everything.
    let work: Chan<Job> = make!(chan Job);
    let done: Chan<u32> = make!(chan u32);
    let (w, d) = (work.clone(), done.clone());
    go! {
        let mut sum = 0;
        loop {
            select! {
                job: Option<_> = <-w => match job {
                    Some(Job(n)) => sum += n,
                    None => break,
                }
            }
        }
        d <- sum
    }
    for i in 1..=10 {
        work.send(Job(i));
    }
    work.close();
    assert_eq!(done.recv(), Some(55));
}
