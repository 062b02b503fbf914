using CsCheck;
using GenesysDedup.Testing;

namespace GenesysDedup.Domain.Tests;

/// <summary>
/// Property: whatever bytes arrive, the parser returns an event or a clear error and never throws, and the key of a
/// parsed event resolves (or fails cleanly) the same way every time. Seed-fixed in CI; see <see cref="HostileInputs"/>.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly KeyResolver Resolver = KeyResolver.FromNames(null);

    [Fact]
    public void Parse_HostileBodies_ReturnsEventOrClearErrorAndNeverThrows()
    {
        long valid = 0, invalid = 0;
        HostileInputs.Cases.Sample(
            hostile =>
            {
                var body = HostileInputs.Build(hostile);
                var parsed = EventParser.Parse(body);
                if (parsed.Event is not { } dedupEvent)
                {
                    Assert.False(string.IsNullOrWhiteSpace(parsed.Error));
                    Interlocked.Increment(ref invalid);
                    return;
                }

                using (dedupEvent)
                {
                    Interlocked.Increment(ref valid);
                    var first = Resolver.Resolve(dedupEvent);
                    var second = Resolver.Resolve(dedupEvent);
                    Assert.True(first.Key is not null ^ first.Error is not null);
                    Assert.Equal(first, second);
                }
            },
            seed: HostileInputs.Seed,
            iter: HostileInputs.Iterations,
            threads: 1);

        // Both branches are exercised, or the generator has gone blind.
        Assert.True(valid > 0 && invalid > 0, $"valid {valid}, invalid {invalid}");
    }
}
