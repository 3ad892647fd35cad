use gocsp::prelude::*;

go_syntax! {
    fn report() -> String {
        label := String::from("done")
        done := make(chan String, 1)
        go func() {
            done <- label.clone()
        }()
        <-done + &label
    }
}

fn main() {
    report();
}
