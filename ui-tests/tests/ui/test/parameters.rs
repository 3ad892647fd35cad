#[gocsp::test]
fn pipeline_works(n: usize) {
    let _ = n;
}

fn main() {}
