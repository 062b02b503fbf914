using GenesysDedup.Domain;

namespace GenesysDedup.Domain.Tests;

public sealed class StoredRecordTests
{
    private const string Holder = "owner-holder";
    private const string Claimer = "owner-claimer";
    private const string Fingerprint = "sha256:aaaa";
    private const string OtherFingerprint = "sha256:bbbb";

    private static readonly DateTimeOffset Now = new(2026, 11, 20, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Judge_CompletedWithinRetention_IsDuplicate()
    {
        var record = Completed(expiresAt: Now.AddHours(1));

        Assert.Equal(ClaimResult.Duplicate, record.Judge(Claim()));
        Assert.True(record.IsLive(Now));
    }

    [Fact]
    public void Judge_CompletedOneTickBeforeExpiry_IsDuplicate()
    {
        var record = Completed(expiresAt: Now.AddTicks(1));

        Assert.Equal(ClaimStatus.Duplicate, record.Judge(Claim()).Status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(48 * 3600)]
    public void Judge_CompletedPastRetention_IsAcquired(int secondsPastExpiry)
    {
        // A store's own TTL may delete the record up to ~48 h late; expiry is judged from the timestamps.
        var record = Completed(expiresAt: Now.AddSeconds(-secondsPastExpiry));

        Assert.Equal(ClaimResult.Acquired, record.Judge(Claim()));
        Assert.False(record.IsLive(Now));
    }

    [Fact]
    public void Judge_CompletedWithLapsedLeaseButWithinRetention_IsDuplicate()
    {
        // The lease only matters while in progress; a completed record lives until its retention ends.
        var record = new StoredRecord(RecordStatus.Completed, Holder, Fingerprint, Now.AddMinutes(-30), Now.AddHours(23));

        Assert.Equal(ClaimResult.Duplicate, record.Judge(Claim()));
    }

    [Fact]
    public void Judge_InProgressWithinLease_IsInProgressWithTheLeaseExpiry()
    {
        var leaseExpiresAt = Now.AddSeconds(30);
        var record = InProgress(leaseExpiresAt);

        var result = record.Judge(Claim());

        Assert.Equal(ClaimStatus.InProgress, result.Status);
        Assert.Equal(leaseExpiresAt, result.LeaseExpiresAt);
        Assert.Equal(ClaimResult.InProgress(leaseExpiresAt), result);
        Assert.True(record.IsLive(Now));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3600)]
    public void Judge_InProgressPastLease_IsAcquired(int secondsPastLease)
    {
        // A crashed worker's claim: the next delivery takes it over once the lease has lapsed.
        var record = InProgress(Now.AddSeconds(-secondsPastLease));

        Assert.Equal(ClaimResult.Acquired, record.Judge(Claim()));
        Assert.False(record.IsLive(Now));
    }

    [Fact]
    public void Judge_InProgressWithinLeaseButPastRecordExpiry_IsAcquired()
    {
        var record = new StoredRecord(RecordStatus.InProgress, Holder, Fingerprint, Now.AddMinutes(1), Now.AddSeconds(-1));

        Assert.Equal(ClaimResult.Acquired, record.Judge(Claim()));
    }

    [Theory]
    [InlineData(RecordStatus.InProgress)]
    [InlineData(RecordStatus.Completed)]
    public void Judge_SameOwnerReadingItsOwnLiveRecord_IsAcquired(string status)
    {
        // A retried write whose first attempt did land: the record is ours, not someone else's.
        var record = new StoredRecord(status, Claimer, Fingerprint, Now.AddMinutes(1), Now.AddHours(1));

        Assert.Equal(ClaimResult.Acquired, record.Judge(Claim(owner: Claimer)));
    }

    [Fact]
    public void Judge_SameOwnerWithDifferentFingerprint_IsAcquired()
    {
        var record = InProgress(Now.AddMinutes(1)) with { Owner = Claimer };

        Assert.Equal(ClaimResult.Acquired, record.Judge(Claim(owner: Claimer, fingerprint: OtherFingerprint)));
    }

    [Fact]
    public void Judge_CompletedWithDifferentFingerprint_IsConflict()
    {
        var record = Completed(expiresAt: Now.AddHours(1));

        Assert.Equal(ClaimResult.Conflict, record.Judge(Claim(fingerprint: OtherFingerprint)));
    }

    [Fact]
    public void Judge_InProgressWithDifferentFingerprint_IsConflict()
    {
        var record = InProgress(Now.AddMinutes(1));

        Assert.Equal(ClaimResult.Conflict, record.Judge(Claim(fingerprint: OtherFingerprint)));
    }

    [Theory]
    [InlineData(RecordStatus.InProgress)]
    [InlineData(RecordStatus.Completed)]
    public void Judge_ExpiredRecordWithDifferentFingerprint_IsAcquiredNotConflict(string status)
    {
        var record = new StoredRecord(status, Holder, Fingerprint, Now.AddSeconds(-1), Now.AddSeconds(-1));

        Assert.Equal(ClaimResult.Acquired, record.Judge(Claim(fingerprint: OtherFingerprint)));
    }

    [Fact]
    public void Judge_RecordWithoutFingerprint_NeverConflicts()
    {
        var completed = Completed(expiresAt: Now.AddHours(1)) with { Fingerprint = null };
        var inProgress = InProgress(Now.AddMinutes(1)) with { Fingerprint = null };

        Assert.Equal(ClaimResult.Duplicate, completed.Judge(Claim(fingerprint: OtherFingerprint)));
        Assert.Equal(ClaimStatus.InProgress, inProgress.Judge(Claim(fingerprint: OtherFingerprint)).Status);
    }

    [Fact]
    public void IsLive_FollowsTheClockAcrossLeaseAndRetention()
    {
        var inProgress = new StoredRecord(RecordStatus.InProgress, Holder, Fingerprint, Now.AddMinutes(1), Now.AddHours(24));
        var completed = inProgress with { Status = RecordStatus.Completed };

        Assert.True(inProgress.IsLive(Now.AddSeconds(59)));
        Assert.False(inProgress.IsLive(Now.AddMinutes(1)));
        Assert.True(completed.IsLive(Now.AddMinutes(1)));
        Assert.True(completed.IsLive(Now.AddHours(24).AddTicks(-1)));
        Assert.False(completed.IsLive(Now.AddHours(24)));
    }

    private static StoredRecord Completed(DateTimeOffset expiresAt) =>
        new(RecordStatus.Completed, Holder, Fingerprint, Now.AddMinutes(-5), expiresAt);

    private static StoredRecord InProgress(DateTimeOffset leaseExpiresAt) =>
        new(RecordStatus.InProgress, Holder, Fingerprint, leaseExpiresAt, Now.AddHours(24));

    private static ClaimRequest Claim(string owner = Claimer, string fingerprint = Fingerprint) =>
        new("key-1", owner, fingerprint, Now, Now.AddMinutes(1));
}
