use gocsp::prelude::*;

enum Shape {
    Circle(f64),
    Square(f64),
}

fn main() {
    let shapes: Chan<Shape> = make!(chan Shape, 1);
    shapes.send(Shape::Square(2.0));
    select! {
        Some(Shape::Circle(r)) = <-shapes => println!("{r}"),
        default => {}
    }
}
