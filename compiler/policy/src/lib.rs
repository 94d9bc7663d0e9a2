//! Policy front end: YAML with spans, lowering into the validated policy IR, policy checks
