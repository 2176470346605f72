//! The Lease protocol against `rampart_testkit::LeaseApi`, a mock API server with the real
//! one's rules (404 when missing, 409 AlreadyExists, 409 Conflict on a stale
//! `resourceVersion`).

use super::*;
use rampart_testkit::LeaseApi;
use serde_json::Value;

const NS: &str = "rampart-system";
const NAME: &str = "rampart-serve";

fn replica(api: &LeaseApi, identity: &str, duration: Duration) -> LeaseLock {
    let uri: http::Uri = api.url().parse().expect("mock URI");
    let client = kube::Client::try_from(kube::Config::new(uri)).expect("client");
    LeaseLock::new(client, NS, NAME, identity, duration)
}

fn spec(api: &LeaseApi) -> Value {
    api.lease(NS, NAME)
        .map(|l| l["spec"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn one_replica_holds_the_lease_until_it_releases_or_stops_renewing() {
    let api = LeaseApi::start();
    let a = replica(&api, "pod-a", Duration::from_secs(1));
    let b = replica(&api, "pod-b", Duration::from_secs(1));

    assert_eq!(a.try_acquire().await.unwrap(), Held::Mine, "created");
    assert_eq!(spec(&api)["holderIdentity"], "pod-a");
    assert_eq!(spec(&api)["leaseDurationSeconds"], 1);
    assert_eq!(b.try_acquire().await.unwrap(), Held::Theirs("pod-a".into()));
    assert_eq!(a.try_acquire().await.unwrap(), Held::Mine, "renewed");

    // Released: the standby takes it at once.
    a.release().await.unwrap();
    assert_eq!(api.holder(NS, NAME), None);
    assert_eq!(b.try_acquire().await.unwrap(), Held::Mine);
    assert_eq!(spec(&api)["leaseTransitions"], 1);
    assert_eq!(a.try_acquire().await.unwrap(), Held::Theirs("pod-b".into()));
    // Releasing a Lease someone else holds changes nothing.
    a.release().await.unwrap();
    assert_eq!(api.holder(NS, NAME).as_deref(), Some("pod-b"));

    // pod-b stops renewing: once its claim has run out, pod-a takes over.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(a.try_acquire().await.unwrap(), Held::Mine);
    assert_eq!(api.holder(NS, NAME).as_deref(), Some("pod-a"));
    assert_eq!(spec(&api)["leaseTransitions"], 2);
}

#[tokio::test]
async fn replicas_racing_for_a_free_lease_get_one_winner() {
    for _ in 0..5 {
        let api = LeaseApi::start();
        let replicas: Vec<LeaseLock> = (0..4)
            .map(|i| replica(&api, &format!("pod-{i}"), Duration::from_secs(30)))
            .collect();
        let results =
            futures_util::future::join_all(replicas.iter().map(LeaseLock::try_acquire)).await;
        let winners = results
            .iter()
            .filter(|r| matches!(r, Ok(Held::Mine)))
            .count();
        assert_eq!(winners, 1, "{results:?}");
    }
}
