use gocsp::prelude::*;

struct Job(u32);

fn main() {
    let jobs: Chan<Job> = make!(chan Job, 1);
    loop {
        select! {
            Some(job) = <-jobs => println!("{}", job.0),
            None = <-jobs => break,
        }
    }
}
