use gocsp::prelude::*;

fn main() {
    select! {
        v = <- => println!("{v}"),
    }
}
