namespace GenesysDedup.Domain.Tests;

/// <summary>The in-process form of a record judges every claim exactly as the record of strings does.</summary>
public sealed class CompactRecordTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 14, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string, string, int, int> Records()
    {
        var data = new TheoryData<string, string, string, int, int>();
        foreach (var status in new[] { RecordStatus.InProgress, RecordStatus.Completed })
        {
            foreach (var owner in new[] { "owner-holder", "owner-claimer" })
            {
                foreach (var fingerprint in new[] { "sha256:aaaa", "sha256:bbbb" })
                {
                    // Lease and expiry relative to now, in seconds: past, at, and ahead.
                    foreach (var (lease, expiry) in new[] { (-30, 3600), (0, 3600), (30, 3600), (30, 0), (-30, -1), (30, 86400) })
                    {
                        data.Add(status, owner, fingerprint, lease, expiry);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Records))]
    public void Judge_AnyRecordAndClaim_MatchesStoredRecordJudge(string status, string owner, string fingerprint, int leaseSeconds, int expirySeconds)
    {
        var stored = new StoredRecord(status, owner, fingerprint, Now.AddSeconds(leaseSeconds), Now.AddSeconds(expirySeconds));
        var compact = new CompactRecord(status == RecordStatus.Completed, owner, fingerprint, stored.LeaseExpiresAt, stored.ExpiresAt);
        var claim = new ClaimRequest("key", "owner-claimer", "sha256:aaaa", Now, Now.AddMinutes(1));

        Assert.Equal(stored.Judge(claim), compact.Judge(claim.Now, Digest128.Of(claim.Owner), Digest128.Of(claim.Fingerprint)));
        Assert.Equal(stored.IsLive(Now), compact.IsLive(Now));
    }

    [Fact]
    public void Digest_IsTheSameForEqualStringsAndDiffersOtherwise()
    {
        Assert.Equal(Digest128.Of("sha256:" + new string('a', 64)), Digest128.Of("sha256:" + new string('a', 64)));
        Assert.NotEqual(Digest128.Of("sha256:aaaa"), Digest128.Of("sha256:aaab"));
        Assert.NotEqual(Digest128.Of(string.Empty), Digest128.Of("\0"));
    }
}
