//! The page's entry point: mounts the Yew app on `<body>`.

fn main() {
    yew::Renderer::<callscope_web::components::app::App>::new().render();
}
