using System.ComponentModel.DataAnnotations;
using GenesysDedup.Domain;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Application;

/// <summary>The <c>Dedup</c> section. Store-specific settings live in each store's own options.</summary>
public sealed class DedupOptions
{
    /// <summary>The configuration section these options bind from: <c>Dedup</c>.</summary>
    public const string SectionName = "Dedup";

    /// <summary>The largest event accepted, in bytes (both hosts and the parser; the HTTP body limit follows it).</summary>
    public int MaxEventBytes { get; set; } = EventLimits.DefaultMaxBytes;

    /// <summary>How long a completed key answers duplicate.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long an IN_PROGRESS claim blocks other deliveries (a Lambda invocation uses its deadline instead).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The time one delivery's store calls (claim, then complete or release) may take together; past it the delivery
    /// answers store_unavailable. Under EventBridge's 5-second target timeout by default.
    /// </summary>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// How long a delivery that finds another delivery of its event in progress waits for it to finish (re-reading the
    /// record, within <see cref="StoreTimeout"/>) before answering in_progress. Zero answers at once (the Lambda host's
    /// default).
    /// </summary>
    public TimeSpan InProgressWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// An allowance for hosts whose clocks disagree: another owner's record (its lease above all) counts as lapsed only
    /// this long after its end by this host's clock. Never counted against a delivery's own claim.
    /// </summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Scope of the keys, one per consuming application sharing a store.</summary>
    [RegularExpression("^[A-Za-z0-9_.-]{0,64}$", ErrorMessage = "Dedup:Namespace may hold up to 64 letters, digits, '_', '.' or '-'.")]
    public string Namespace { get; set; } = string.Empty;

    /// <summary>Ordered key sources; empty means the default order.</summary>
    public IList<string> KeySources { get; set; } = [];
}

[OptionsValidator]
internal sealed partial class DedupOptionsValidator : IValidateOptions<DedupOptions>;

/// <summary>Checks what attributes cannot express without reflection: durations, sizes and key sources.</summary>
internal sealed class DedupOptionsChecks : IValidateOptions<DedupOptions>
{
    public ValidateOptionsResult Validate(string? name, DedupOptions options)
    {
        var failures = new ValidateOptionsResultBuilder();
        Check(options.Retention >= TimeSpan.FromSeconds(1), "Dedup:Retention must be at least 00:00:01.");
        Check(options.Lease >= TimeSpan.FromSeconds(1) && options.Lease <= TimeSpan.FromDays(1), "Dedup:Lease must be between 00:00:01 and 1.00:00:00.");
        Check(
            options.StoreTimeout >= TimeSpan.FromMilliseconds(100) && options.StoreTimeout <= TimeSpan.FromMinutes(15),
            "Dedup:StoreTimeout must be between 00:00:00.100 and 00:15:00.");
        Check(options.InProgressWait >= TimeSpan.Zero && options.InProgressWait <= TimeSpan.FromMinutes(15), "Dedup:InProgressWait must be between 00:00:00 and 00:15:00.");
        Check(options.ClockSkew >= TimeSpan.Zero && options.ClockSkew <= TimeSpan.FromMinutes(10), "Dedup:ClockSkew must be between 00:00:00 and 00:10:00.");
        Check(options.MaxEventBytes is >= 1024 and <= 16 * 1024 * 1024, "Dedup:MaxEventBytes must be between 1024 and 16777216.");
        try
        {
            _ = KeyResolver.FromNames(options.KeySources);
        }
        catch (ArgumentException ex)
        {
            failures.AddError($"Dedup:KeySources: {ex.Message}");
        }

        return failures.Build();

        void Check(bool valid, string error)
        {
            if (!valid)
            {
                failures.AddError(error);
            }
        }
    }
}
