use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;

use tokio::sync::Semaphore;

use super::*;
use crate::Catalog;
use crate::sources::SourceKind;

/// A loader that waits for the test to release each load, then succeeds or fails as scripted.
#[derive(Debug)]
struct Scripted {
    calls: AtomicUsize,
    gate: Arc<Semaphore>,
    outcomes: Mutex<VecDeque<bool>>,
}

impl Scripted {
    fn new(outcomes: &[bool]) -> Arc<Scripted> {
        Arc::new(Scripted {
            calls: AtomicUsize::new(0),
            gate: Arc::new(Semaphore::new(0)),
            outcomes: Mutex::new(outcomes.iter().copied().collect()),
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

fn loaded(as_of: chrono::DateTime<Utc>) -> LoadedCatalog {
    LoadedCatalog {
        catalog: Catalog::default(),
        source: SourceKind::RetailApi,
        currency: Currency::USD,
        as_of,
        fixed: false,
        warnings: Vec::new(),
    }
}

impl Loader for Scripted {
    fn load(&self, _key: CacheKey) -> LoadFuture {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let gate = Arc::clone(&self.gate);
        let succeed = lock(&self.outcomes).pop_front().unwrap_or(true);
        Box::pin(async move {
            gate.acquire().await.expect("gate open").forget();
            if succeed {
                Ok(loaded(Utc::now()))
            } else {
                Err(LoadError::Failed("stand-in failure".to_owned()))
            }
        })
    }
}

const USD: CacheKey = CacheKey::Prices(Currency::USD);

fn cache(loader: &Arc<Scripted>, retry: Duration) -> Arc<PriceCache> {
    Arc::new(PriceCache::new(
        Arc::clone(loader) as Arc<dyn Loader>,
        Duration::from_secs(3600),
        retry,
        None,
    ))
}

async fn until(condition: impl Fn() -> bool) {
    for _ in 0..500 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition not reached");
}

#[tokio::test]
async fn first_requests_share_one_load() {
    let loader = Scripted::new(&[true]);
    let cache = cache(&loader, Duration::ZERO);
    let requests: Vec<_> = (0..16)
        .map(|_| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.get(USD).await })
        })
        .collect();
    until(|| loader.calls() == 1).await;
    loader.gate.add_permits(1);
    let mut served = Vec::new();
    for request in requests {
        served.push(request.await.expect("task").expect("loaded"));
    }
    assert_eq!(loader.calls(), 1);
    assert!(
        served
            .iter()
            .all(|s| Arc::ptr_eq(&s.loaded, &served[0].loaded) && !s.stale)
    );
}

#[tokio::test]
async fn stale_catalog_served_during_refresh() {
    let loader = Scripted::new(&[true]);
    let cache = cache(&loader, Duration::ZERO);
    let old = Utc::now() - chrono::Duration::hours(2);
    cache.seed(USD, loaded(old));

    // The loader is held closed, so every request is served from the old catalog.
    for _ in 0..8 {
        let served = cache.get(USD).await.expect("served");
        assert!(served.stale);
        assert_eq!(served.loaded.as_of, old);
    }
    until(|| loader.calls() == 1).await;
    for _ in 0..8 {
        assert!(cache.get(USD).await.expect("served").stale);
    }
    tokio::task::yield_now().await;
    assert_eq!(loader.calls(), 1, "one refresh for many stale requests");

    loader.gate.add_permits(1);
    until(|| cache.slot(USD).current().is_some_and(|loaded| loaded.as_of > old)).await;
    let served = cache.get(USD).await.expect("served");
    assert!(!served.stale);
    assert_eq!(loader.calls(), 1);
}

#[tokio::test]
async fn failed_refresh_keeps_last_catalog() {
    let loader = Scripted::new(&[false, true]);
    let cache = cache(&loader, Duration::ZERO);
    let old = Utc::now() - chrono::Duration::hours(2);
    cache.seed(USD, loaded(old));

    assert!(cache.get(USD).await.expect("served").stale);
    loader.gate.add_permits(1);
    until(|| cache.slot(USD).last_failure().is_some() && !cache.slot(USD).refreshing.load(Ordering::SeqCst)).await;
    let served = cache.get(USD).await.expect("served after failure");
    assert!(served.stale);
    assert_eq!(served.loaded.as_of, old);

    // That request started the second attempt, which succeeds.
    loader.gate.add_permits(1);
    until(|| cache.slot(USD).current().is_some_and(|loaded| loaded.as_of > old)).await;
    assert!(!cache.get(USD).await.expect("served").stale);
    assert_eq!(loader.calls(), 2);
}

#[tokio::test]
async fn failure_not_retried_within_interval() {
    let loader = Scripted::new(&[false, false]);
    let cache = cache(&loader, Duration::from_secs(3600));
    loader.gate.add_permits(2);
    let first = cache.get(USD).await.expect_err("first load fails");
    assert_eq!(first, LoadError::Failed("stand-in failure".to_owned()));
    let second = cache.get(USD).await.expect_err("still failing");
    assert_eq!(second, first);
    assert_eq!(loader.calls(), 1, "the second request reused the recent failure");
}

#[tokio::test]
async fn fixed_catalog_never_refreshes() {
    let loader = Scripted::new(&[]);
    let cache = cache(&loader, Duration::ZERO);
    let mut fixed = loaded(Utc::now() - chrono::Duration::days(400));
    fixed.fixed = true;
    cache.seed(USD, fixed);
    assert!(!cache.get(USD).await.expect("served").stale);
    assert_eq!(loader.calls(), 0);
}

#[tokio::test]
async fn future_fetch_time_counts_as_stale() {
    let loader = Scripted::new(&[true]);
    let cache = cache(&loader, Duration::ZERO);
    cache.seed(USD, loaded(Utc::now() + chrono::Duration::days(365)));
    assert!(cache.get(USD).await.expect("served").stale);
    until(|| loader.calls() == 1).await;
}

#[tokio::test]
async fn partial_load_refreshed_after_retry_interval() {
    let loader = Scripted::new(&[true]);
    let cache = cache(&loader, Duration::ZERO);
    let mut partial = loaded(Utc::now());
    partial.warnings.push("pricing page failed".to_owned());
    cache.seed(USD, partial);
    let served = cache.get(USD).await.expect("served");
    assert!(!served.stale, "a partial load is not stale");
    until(|| loader.calls() == 1).await;
}
