use gocsp::prelude::*;

fn main() {
    let ch: Chan<i32> = make!(chan i32, 1);
    let tx: Sender<i32> = ch.sender();
    let quit: Chan<()> = make!(chan ());
    select! {
        v = <-tx => println!("{v}"),
        <-quit => {}
    }
}
