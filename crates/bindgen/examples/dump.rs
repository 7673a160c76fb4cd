//! Prints the bindings `bindgen!` would generate, for reading them:
//! `cargo run -p tether-bindgen --example dump -- PATH [WORLD] [--dep DIR]...`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut opts = tether_bindgen::Opts::new(
        args.next()
            .ok_or("usage: dump PATH [WORLD] [--dep DIR]...")?,
    );
    while let Some(a) = args.next() {
        if a == "--dep" {
            opts.deps
                .push(args.next().ok_or("--dep needs a directory")?.into());
        } else {
            opts.world = Some(a);
        }
    }
    print!("{}", tether_bindgen::generate(&opts)?.to_pretty_string());
    Ok(())
}
