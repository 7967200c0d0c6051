//! The page's entry point: mounts the Yew app on `<body>`; in a worker, runs the decoder.

fn main() {
    if web_sys::window().is_some() {
        yew::Renderer::<callscope_web::components::app::App>::new().render();
    } else {
        callscope_web::decoder::run();
    }
}
