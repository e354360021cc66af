/// Webhooks: trigger delivery.
public enum Webhooks {}
