/// The rules of the built-in projections (contact state, campaign status, metrics). Change
/// `rulesID` whenever the rules change, so stores know their builds were made by other rules.
public enum BuiltInProjection {
    /// The name of the built-in projection set in `builds` (custom projections have their own).
    public static let name = "campaigns"
    public static let version = 1
    public static let rulesID = "campaign-projections/domain-2026-11"
}
