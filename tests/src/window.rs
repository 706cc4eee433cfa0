//! Driving the app's window in end-to-end tests: finding elements by their `data-testid`,
//! waiting for what they say, clicking, filling in, choosing, signing in, and photographing the
//! screen into `target/screenshots/`.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::Server;
use crate::app::Driver;

pub const WAIT: Duration = Duration::from_secs(30);

pub fn testid(id: &str) -> String {
    format!("[data-testid='{id}']")
}

/// The text of the element marked `id`, once it appears.
pub async fn text_of(client: &Client, id: &str) -> String {
    let selector = testid(id);
    let started = std::time::Instant::now();
    loop {
        if let Ok(element) = client.find(Locator::Css(&selector)).await {
            return element.text().await.unwrap();
        }
        if started.elapsed() > WAIT {
            panic!("{selector} never appeared; the window said:\n{}", window_text(client).await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Everything the window shows, for a failure to say what went wrong instead.
pub async fn window_text(client: &Client) -> String {
    let text = client.execute("return document.body.innerText", vec![]).await;
    text.ok().and_then(|value| value.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Waits until the element marked `id` says something `expected` accepts; returns it.
pub async fn wait_for_text(client: &Client, id: &str, expected: impl Fn(&str) -> bool) -> String {
    let started = std::time::Instant::now();
    loop {
        let text = text_of(client, id).await;
        if expected(&text) {
            return text;
        }
        if started.elapsed() > WAIT {
            panic!("{id} says \"{text}\"; the window said:\n{}", window_text(client).await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn click(client: &Client, id: &str) {
    let selector = testid(id);
    let started = std::time::Instant::now();
    loop {
        if let Ok(element) = client.find(Locator::Css(&selector)).await {
            if click_element(client, element).await {
                return;
            }
        }
        assert!(started.elapsed() < WAIT, "{selector} could not be clicked");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Clicks in the middle of the window (at its edge a scroll bar may take the click); says
/// whether the click was made.
pub async fn click_element(client: &Client, element: fantoccini::elements::Element) -> bool {
    let centre = "arguments[0].scrollIntoView({ block: 'center', inline: 'center' })";
    let _ = client.execute(centre, vec![serde_json::to_value(&element).unwrap()]).await;
    element.click().await.is_ok()
}

/// Waits until nothing on the page matches `selector`.
pub async fn wait_until_gone(client: &Client, selector: &str) {
    let started = std::time::Instant::now();
    while !client.find_all(Locator::Css(selector)).await.unwrap().is_empty() {
        assert!(started.elapsed() < WAIT, "{selector} is still there");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn connect(driver: &Driver) -> Client {
    ClientBuilder::rustls().unwrap().capabilities(Driver::capabilities()).connect(&driver.url).await.unwrap()
}

/// One window at a time: the tests share the driver's ports.
pub static ONE_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn fill(client: &Client, name: &str, value: &str) {
    let field = client.find(Locator::Css(&format!("input[name='{name}']"))).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

pub async fn screenshot(driver: &Driver, client: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    // Let the last change paint first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    driver.screenshot(client.get_window_rect().await.unwrap(), &dir.join(format!("{name}.png")));
}

pub async fn sign_in(client: &Client, server: &Server, login: &str) {
    sign_in_at(client, &server.url, login).await;
}

/// Signs in as `login` (password `census-demo`) to the server at `url`.
pub async fn sign_in_at(client: &Client, url: &str, login: &str) {
    client.wait().at_most(WAIT).for_element(Locator::Css(&testid("sign-in"))).await.unwrap();
    fill(client, "server", url).await;
    fill(client, "login", login).await;
    fill(client, "password", "census-demo").await;
    client.find(Locator::Css("button[type='submit']")).await.unwrap().click().await.unwrap();
    wait_for_text(client, "who", |t| !t.is_empty()).await;
}

/// Picks `value` in the select marked `id`.
pub async fn choose(client: &Client, id: &str, value: &str) {
    client.find(Locator::Css(&testid(id))).await.unwrap().select_by_value(value).await.unwrap();
}

/// A screenshot kept with the documentation (`docs/screenshots/<name>.png`).
pub async fn photograph_for_docs(driver: &Driver, client: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    driver.screenshot(client.get_window_rect().await.unwrap(), &dir.join(format!("{name}.png")));
}
