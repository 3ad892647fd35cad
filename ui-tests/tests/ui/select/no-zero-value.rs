use gocsp::prelude::*;

struct Job(u32);

fn main() {
    let jobs: Chan<Job> = make!(chan Job, 1);
    let quit: Chan<()> = make!(chan ());
    select! {
        job = <-jobs => println!("{}", job.0),
        <-quit => {}
    }
}
