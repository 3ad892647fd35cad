use gocsp::prelude::*;

struct Job(u32);

go_syntax! {
    fn next(jobs: <-chan Job) -> u32 {
        job := <-jobs
        job.0
    }
}

fn main() {}
