using GenesysDedup.Domain;
using Microsoft.Extensions.Time.Testing;

namespace GenesysDedup.Stores.Tests;

/// <summary>
/// The behaviour every <see cref="IDedupStore"/> must have (docs/behaviour.md#claim-complete-release). Each store's test class supplies a store and
/// inherits every fact. Time is passed in requests, so expiry is tested by moving a fake clock, never by waiting.
/// </summary>
public abstract class DedupStoreContractTests
{
    private const int Contenders = 16;

    protected const string Fingerprint = "sha256:aaaa";

    /// <summary>Two W3C traceparents, as the engine passes its delivery span's.</summary>
    protected const string TraceA = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    protected const string TraceB = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";

    protected static TimeSpan Lease { get; } = TimeSpan.FromMinutes(1);

    protected static TimeSpan Retention { get; } = TimeSpan.FromHours(24);

    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    protected abstract IDedupStore Store { get; }

    /// <summary><paramref name="time"/> as a store that keeps <see cref="ProcessedAtPrecision"/> reads it back.</summary>
    protected DateTimeOffset ToPrecision(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % ProcessedAtPrecision.Ticks), TimeSpan.Zero);

    protected static string NewKey() => $"contract:{Guid.NewGuid():N}";

    protected static string NewOwner() => Guid.NewGuid().ToString("N");

    /// <summary>A claim at the clock's time, on <see cref="Store"/> unless another store is given.</summary>
    protected Task<ClaimResult> ClaimAsync(string key, string owner, string fingerprint = Fingerprint, TimeSpan? lease = null, IDedupStore? store = null, string? traceParent = null, TimeSpan clockSkew = default)
    {
        var now = Clock.GetUtcNow();
        var request = new ClaimRequest(key, owner, fingerprint, now, now + (lease ?? Lease)) { TraceParent = traceParent, ClockSkew = clockSkew };
        return (store ?? Store).TryClaimAsync(request, CancellationToken.None).AsTask();
    }

    protected Task<bool> CompleteAsync(string key, string owner, TimeSpan? retention = null, string fingerprint = Fingerprint, IDedupStore? store = null, string? traceParent = null)
    {
        var now = Clock.GetUtcNow();
        var request = new CompleteRequest(key, owner, fingerprint, now, now + (retention ?? Retention)) { TraceParent = traceParent };
        return (store ?? Store).CompleteAsync(request, CancellationToken.None).AsTask();
    }

    protected Task<bool> ReleaseAsync(string key, string owner, IDedupStore? store = null) =>
        (store ?? Store).ReleaseAsync(key, owner, CancellationToken.None).AsTask();

    protected Task<DedupRecord?> FindAsync(string key, IDedupStore? store = null) =>
        (store ?? Store).FindAsync(key, Clock.GetUtcNow(), CancellationToken.None).AsTask();

    protected Task<bool> RemoveAsync(string key, IDedupStore? store = null) =>
        (store ?? Store).RemoveAsync(key, Clock.GetUtcNow(), CancellationToken.None).AsTask();

    /// <summary>Whether the store keeps the fingerprint's text (the memory store keeps a digest).</summary>
    protected virtual bool KeepsFingerprint => true;

    /// <summary>
    /// How finely the store keeps a completion time: milliseconds (SQLite, Redis) unless a store says otherwise (DynamoDB
    /// whole seconds, memory exact ticks). Finer parts are dropped, never rounded up.
    /// </summary>
    protected virtual TimeSpan ProcessedAtPrecision => TimeSpan.FromMilliseconds(1);

    /// <summary>Every operation of <paramref name="store"/> fails as an unreachable store does; returns the claim's error.</summary>
    protected async Task<DedupStoreUnavailableException> AssertEveryOperationUnavailableAsync(IDedupStore store, string key, string owner)
    {
        var claim = await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync(key, NewOwner(), store: store));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => CompleteAsync(key, owner, store: store));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ReleaseAsync(key, owner, store));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => store.CheckReadyAsync(CancellationToken.None).AsTask());
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => FindAsync(key, store));
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => RemoveAsync(key, store));
        return claim;
    }

    [Fact]
    public async Task TryClaim_FirstClaim_Wins()
    {
        var key = NewKey();

        var first = await ClaimAsync(key, NewOwner());
        var second = await ClaimAsync(key, NewOwner());

        Assert.Equal(ClaimStatus.Acquired, first.Status);
        Assert.Equal(ClaimStatus.InProgress, second.Status);
    }

    [Fact]
    public async Task TryClaim_InProgress_ReportsWhenTheLeaseLapses()
    {
        var key = NewKey();
        await ClaimAsync(key, NewOwner());

        var second = await ClaimAsync(key, NewOwner());

        Assert.NotNull(second.LeaseExpiresAt);
        var remaining = second.LeaseExpiresAt.Value - Clock.GetUtcNow();
        Assert.InRange(remaining, Lease - TimeSpan.FromSeconds(1), Lease);
    }

    [Fact]
    public async Task TryClaim_AfterComplete_IsDuplicate()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        Assert.True(await CompleteAsync(key, owner));

        var again = await ClaimAsync(key, NewOwner());

        Assert.Equal(ClaimStatus.Duplicate, again.Status);
    }

    [Fact]
    public async Task TryClaim_CompletedJustBeforeRetentionEnds_IsStillDuplicate()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        await CompleteAsync(key, owner, TimeSpan.FromHours(1));

        Clock.Advance(TimeSpan.FromMinutes(59));
        var again = await ClaimAsync(key, NewOwner());

        Assert.Equal(ClaimStatus.Duplicate, again.Status);
    }

    [Fact]
    public async Task TryClaim_CompletedPastRetention_IsReclaimable()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        await CompleteAsync(key, owner, TimeSpan.FromHours(1));

        Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var again = await ClaimAsync(key, NewOwner());

        Assert.Equal(ClaimStatus.Acquired, again.Status);
    }

    [Fact]
    public async Task TryClaim_LeaseLapsed_IsReclaimable()
    {
        var key = NewKey();
        await ClaimAsync(key, NewOwner());

        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var takeover = await ClaimAsync(key, NewOwner());

        Assert.Equal(ClaimStatus.Acquired, takeover.Status);
    }

    [Fact]
    public async Task TryClaim_AnotherOwnersLeaseLapsedWithinTheClockSkew_IsInProgress_AndPastIt_IsAcquired()
    {
        var key = NewKey();
        await ClaimAsync(key, NewOwner());

        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var withinSkew = await ClaimAsync(key, NewOwner(), clockSkew: TimeSpan.FromSeconds(2));
        Clock.Advance(TimeSpan.FromSeconds(2));
        var pastSkew = await ClaimAsync(key, NewOwner(), clockSkew: TimeSpan.FromSeconds(2));

        Assert.Equal(ClaimStatus.InProgress, withinSkew.Status);
        Assert.Equal(ClaimStatus.Acquired, pastSkew.Status);
    }

    [Fact]
    public async Task TryClaim_OwnLeaseLapsedWithinTheClockSkew_IsAcquired()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);

        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var again = await ClaimAsync(key, owner, clockSkew: TimeSpan.FromSeconds(2));

        Assert.Equal(ClaimStatus.Acquired, again.Status);
    }

    [Fact]
    public async Task TryClaim_CompletedPastRetentionWithinTheClockSkew_IsStillDuplicate()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        await CompleteAsync(key, owner);

        Clock.Advance(Retention + TimeSpan.FromSeconds(1));
        var withinSkew = await ClaimAsync(key, NewOwner(), clockSkew: TimeSpan.FromSeconds(3));

        Assert.Equal(ClaimStatus.Duplicate, withinSkew.Status);
    }

    [Fact]
    public async Task TryClaim_WithinLease_IsInProgress()
    {
        var key = NewKey();
        await ClaimAsync(key, NewOwner());

        Clock.Advance(Lease - TimeSpan.FromSeconds(1));
        var second = await ClaimAsync(key, NewOwner());

        Assert.Equal(ClaimStatus.InProgress, second.Status);
    }

    [Fact]
    public async Task Release_ByOwner_ReopensTheKey()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);

        Assert.True(await ReleaseAsync(key, owner));
        var retry = await ClaimAsync(key, NewOwner());

        Assert.Equal(ClaimStatus.Acquired, retry.Status);
    }

    [Fact]
    public async Task Complete_AfterLeaseTakenOver_IsRejectedAndKeepsTheNewOwner()
    {
        var key = NewKey();
        var stale = NewOwner();
        var current = NewOwner();
        await ClaimAsync(key, stale);
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        await ClaimAsync(key, current);

        Assert.False(await CompleteAsync(key, stale));
        Assert.False(await ReleaseAsync(key, stale));

        // The new owner's claim is untouched: still in progress for others, and completable by its owner.
        Assert.Equal(ClaimStatus.InProgress, (await ClaimAsync(key, NewOwner())).Status);
        Assert.True(await CompleteAsync(key, current));
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner())).Status);
    }

    [Fact]
    public async Task CompleteAndRelease_ByStranger_AreRejected()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);

        Assert.False(await CompleteAsync(key, NewOwner()));
        Assert.False(await ReleaseAsync(key, NewOwner()));
        Assert.Equal(ClaimStatus.InProgress, (await ClaimAsync(key, NewOwner())).Status);
    }

    [Fact]
    public async Task Release_AfterComplete_DoesNotReopenForAStranger()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        await CompleteAsync(key, owner);

        Assert.False(await ReleaseAsync(key, NewOwner()));
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner())).Status);
    }

    [Fact]
    public async Task Release_OfUnknownKey_IsRejected()
    {
        Assert.False(await ReleaseAsync(NewKey(), NewOwner()));
    }

    [Fact]
    public async Task Complete_RecordGone_IsWrittenWithTheFingerprint()
    {
        // The claim expired or was swept while a slow handler ran: nobody holds the key, so the completion is recorded.
        var key = NewKey();
        var owner = NewOwner();

        Assert.True(await CompleteAsync(key, owner, fingerprint: "sha256:1111"));

        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner(), "sha256:1111")).Status);
        Assert.Equal(ClaimStatus.Conflict, (await ClaimAsync(key, NewOwner(), "sha256:2222")).Status);
        Assert.False(await ReleaseAsync(key, NewOwner()));
    }

    [Fact]
    public async Task Complete_OwnLeaseLapsedAndNotTakenOver_IsWritten()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));

        Assert.True(await CompleteAsync(key, owner));

        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner())).Status);
    }

    [Fact]
    public async Task Complete_AnotherOwnersLapsedClaim_IsWrittenAndFencesThatOwner()
    {
        // The takeover's lease lapsed too (it crashed): it no longer holds the key, so the first worker's completion is
        // recorded, and the takeover, should it come back, is fenced off by that live record.
        var key = NewKey();
        var first = NewOwner();
        var takeover = NewOwner();
        await ClaimAsync(key, first);
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        await ClaimAsync(key, takeover);
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));

        Assert.True(await CompleteAsync(key, first));

        Assert.False(await CompleteAsync(key, takeover, fingerprint: "sha256:2222"));
        Assert.False(await ReleaseAsync(key, takeover));
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner())).Status);
    }

    [Fact]
    public async Task Complete_AnotherOwnerCompleted_IsRefusedAndTheirRecordStands()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner, "sha256:1111");
        Assert.True(await CompleteAsync(key, owner, TimeSpan.FromHours(1), "sha256:1111"));

        Assert.False(await CompleteAsync(key, NewOwner(), TimeSpan.FromHours(48), "sha256:2222"));

        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner(), "sha256:1111")).Status);
        Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, NewOwner(), "sha256:2222")).Status); // its expiry too
    }

    [Fact]
    public async Task TryClaim_SameOwnerAgain_IsAcquired()
    {
        // An ambiguous write that the client retried must find our own claim, not report a duplicate.
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);

        var retried = await ClaimAsync(key, owner);

        Assert.Equal(ClaimStatus.Acquired, retried.Status);
    }

    [Fact]
    public async Task TryClaim_DifferentFingerprint_IsConflict()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner, "sha256:1111");

        Assert.Equal(ClaimStatus.Conflict, (await ClaimAsync(key, NewOwner(), "sha256:2222")).Status);
        await CompleteAsync(key, owner, fingerprint: "sha256:1111");
        Assert.Equal(ClaimStatus.Conflict, (await ClaimAsync(key, NewOwner(), "sha256:2222")).Status);
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner(), "sha256:1111")).Status);
    }

    [Fact]
    public async Task TryClaim_DifferentFingerprintAfterExpiry_IsAcquired()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner, "sha256:1111");
        await CompleteAsync(key, owner, TimeSpan.FromMinutes(5), "sha256:1111");

        Clock.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, NewOwner(), "sha256:2222")).Status);
    }

    [Fact]
    public async Task TryClaim_SixteenAtOnce_OneAcquiresAndEveryOtherSeesItsLease()
    {
        var race = await RaceClaimsAsync(NewKey());

        AssertOneWinnerAndEveryOtherSeesItsLease(race);
    }

    [Fact]
    public async Task TryClaim_SixteenTakeoversOfALapsedLeaseAtOnce_OneAcquiresAndEveryOtherSeesItsLease()
    {
        var key = NewKey();
        await ClaimAsync(key, NewOwner());
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));

        var race = await RaceClaimsAsync(key);

        AssertOneWinnerAndEveryOtherSeesItsLease(race);
    }

    [Fact]
    public async Task TryClaim_DistinctKeys_AreIndependent()
    {
        var owner = NewOwner();
        var a = NewKey();
        await ClaimAsync(a, owner);
        await CompleteAsync(a, owner);

        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(NewKey(), NewOwner())).Status);
    }

    [Fact]
    public async Task TryClaim_StoredFormsOfTwoNamespaces_NeverMeetWhateverTheKeyHolds()
    {
        // The empty namespace's key "a:order-…" and namespace "a"'s key "order-…": one string if the separator were
        // written only for a non-empty namespace.
        var order = $"order-{Guid.NewGuid():N}";
        var inEmpty = new DedupKey($"a:{order}", "sha256:e1", "detail.event_id").StoredForm(string.Empty);
        var inA = new DedupKey(order, "sha256:a1", "detail.event_id").StoredForm("a");
        var owner = NewOwner();
        await ClaimAsync(inEmpty, owner, "sha256:e1");
        Assert.True(await CompleteAsync(inEmpty, owner));

        var other = await ClaimAsync(inA, NewOwner(), "sha256:a1");

        Assert.NotEqual(inEmpty, inA);
        Assert.Equal(ClaimStatus.Acquired, other.Status);
    }

    [Fact]
    public async Task TryClaim_PathValueShapedLikeAFingerprint_NeverMeetsTheFingerprintsRecord()
    {
        var realFingerprint = $"sha256:{Guid.NewGuid():N}{Guid.NewGuid():N}";
        var real = new DedupKey(realFingerprint, realFingerprint, "fingerprint").StoredForm("crm");
        var forged = new DedupKey(realFingerprint, "sha256:forged", "detail.event_id").StoredForm("crm");
        var owner = NewOwner();
        await ClaimAsync(forged, owner, "sha256:forged");
        Assert.True(await CompleteAsync(forged, owner));

        var realClaim = await ClaimAsync(real, NewOwner(), realFingerprint);

        Assert.Equal(ClaimStatus.Acquired, realClaim.Status);
    }

    [Fact]
    public async Task TryClaim_AfterComplete_ReturnsTheTraceParentOfTheProcessingDelivery()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner, traceParent: TraceA);
        await CompleteAsync(key, owner, traceParent: TraceA);

        var duplicate = await ClaimAsync(key, NewOwner(), traceParent: TraceB);

        Assert.Equal(ClaimStatus.Duplicate, duplicate.Status);
        Assert.Equal(TraceA, duplicate.TraceParent);
    }

    [Fact]
    public async Task TryClaim_WithinLease_ReturnsTheHoldersTraceParent()
    {
        var key = NewKey();
        await ClaimAsync(key, NewOwner(), traceParent: TraceA);

        var blocked = await ClaimAsync(key, NewOwner(), traceParent: TraceB);

        Assert.Equal(ClaimStatus.InProgress, blocked.Status);
        Assert.Equal(TraceA, blocked.TraceParent);
    }

    [Fact]
    public async Task TryClaim_LeaseTakenOver_ReturnsTheNewHoldersTraceParent()
    {
        var key = NewKey();
        await ClaimAsync(key, NewOwner(), traceParent: TraceA);
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, NewOwner(), traceParent: TraceB)).Status);

        var blocked = await ClaimAsync(key, NewOwner());

        Assert.Equal(TraceB, blocked.TraceParent);
    }

    [Fact]
    public async Task Complete_RecordGone_KeepsTheCompletingTraceParent()
    {
        var key = NewKey();

        Assert.True(await CompleteAsync(key, NewOwner(), traceParent: TraceB));

        Assert.Equal(TraceB, (await ClaimAsync(key, NewOwner())).TraceParent);
    }

    [Fact]
    public async Task TryClaim_RecordKeptWithoutTraceParent_ReturnsNone()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        await CompleteAsync(key, owner);

        var duplicate = await ClaimAsync(key, NewOwner(), traceParent: TraceB);

        Assert.Equal(ClaimStatus.Duplicate, duplicate.Status);
        Assert.Null(duplicate.TraceParent);
        Assert.Null((await ClaimAsync(NewKey(), NewOwner(), traceParent: TraceB)).TraceParent); // acquired: nothing found
    }

    [Fact]
    public async Task FindAndRemove_UnknownKey_FindNothing()
    {
        var key = NewKey();

        Assert.Null(await FindAsync(key));
        Assert.False(await RemoveAsync(key));
    }

    [Fact]
    public async Task Find_Claimed_IsInProgressWithItsLease()
    {
        var key = NewKey();
        await ClaimAsync(key, NewOwner());
        var leaseEnd = Clock.GetUtcNow() + Lease;

        var found = await FindAsync(key);

        Assert.NotNull(found);
        Assert.Equal(DedupRecordStatus.InProgress, found.Status);
        Assert.NotNull(found.LeaseExpiresAt);
        Assert.InRange(found.LeaseExpiresAt.Value, leaseEnd, leaseEnd + TimeSpan.FromSeconds(1)); // stores may round expiry up
        Assert.InRange(found.ExpiresAt, leaseEnd, leaseEnd + TimeSpan.FromSeconds(1));
        Assert.Null(found.ProcessedAt);
        Assert.Equal(KeepsFingerprint ? Fingerprint : null, found.Fingerprint);
    }

    [Fact]
    public async Task Find_Completed_IsCompletedWithExpiryAndFingerprint()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        Clock.Advance(TimeSpan.FromSeconds(5));
        var completedAt = Clock.GetUtcNow();
        await CompleteAsync(key, owner, fingerprint: "sha256:1111");
        Clock.Advance(TimeSpan.FromMinutes(10));

        var found = await FindAsync(key);

        Assert.NotNull(found);
        Assert.Equal(DedupRecordStatus.Completed, found.Status);
        Assert.InRange(found.ExpiresAt, completedAt + Retention, completedAt + Retention + TimeSpan.FromSeconds(1));
        Assert.Null(found.LeaseExpiresAt);
        Assert.Equal(KeepsFingerprint ? "sha256:1111" : null, found.Fingerprint);
        Assert.Equal(completedAt, found.ProcessedAt); // a whole second: every store keeps it exactly
    }

    [Fact]
    public async Task Find_ProcessedAt_IsTheCompletionTimeToTheStoresPrecision_AndAReopenOrReclaimClearsIt()
    {
        var oddInterval = TimeSpan.FromTicks(52_504_567); // 5.2504567 s: below a second, a millisecond and a tick
        var retention = TimeSpan.FromHours(1);
        var key = NewKey();
        var first = NewOwner();
        await ClaimAsync(key, first);
        Clock.Advance(oddInterval);
        var firstCompletedAt = Clock.GetUtcNow();
        await CompleteAsync(key, first, retention);
        Clock.Advance(TimeSpan.FromMinutes(10));
        var completed = await FindAsync(key);

        Assert.True(await RemoveAsync(key)); // an operator reopens it
        var second = NewOwner();
        await ClaimAsync(key, second);
        var reopened = await FindAsync(key);
        Clock.Advance(oddInterval);
        var secondCompletedAt = Clock.GetUtcNow();
        await CompleteAsync(key, second, retention);
        var completedAgain = await FindAsync(key);

        Clock.Advance(retention + TimeSpan.FromSeconds(1));
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, NewOwner())).Status);
        var reclaimed = await FindAsync(key);

        Assert.Equal(ToPrecision(firstCompletedAt), completed?.ProcessedAt);
        Assert.Equal(DedupRecordStatus.InProgress, reopened?.Status);
        Assert.Null(reopened?.ProcessedAt);
        Assert.Equal(ToPrecision(secondCompletedAt), completedAgain?.ProcessedAt);
        Assert.Equal(DedupRecordStatus.InProgress, reclaimed?.Status);
        Assert.Null(reclaimed?.ProcessedAt);
    }

    [Fact]
    public async Task FindAndRemove_CompletedPastRetention_FindNothing()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        await CompleteAsync(key, owner, TimeSpan.FromHours(1));
        Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        Assert.Null(await FindAsync(key));
        Assert.False(await RemoveAsync(key));
    }

    [Fact]
    public async Task FindAndRemove_LeaseLapsed_FindNothing()
    {
        var key = NewKey();
        await ClaimAsync(key, NewOwner());
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));

        Assert.Null(await FindAsync(key));
        Assert.False(await RemoveAsync(key));
    }

    [Fact]
    public async Task Remove_Completed_NextClaimAcquires()
    {
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);
        await CompleteAsync(key, owner);

        Assert.True(await RemoveAsync(key));

        Assert.Null(await FindAsync(key));
        Assert.False(await RemoveAsync(key));
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, NewOwner())).Status);
    }

    [Fact]
    public async Task Remove_InProgress_TheOwnersCompletionIsStillWritten()
    {
        // Removed while its handler runs: nobody holds the key, so the owner's completion lands (complete-if-absent)
        // and the event is not run a second time by the next delivery.
        var key = NewKey();
        var owner = NewOwner();
        await ClaimAsync(key, owner);

        Assert.True(await RemoveAsync(key));
        Assert.True(await CompleteAsync(key, owner, fingerprint: "sha256:1111"));

        Assert.Equal(DedupRecordStatus.Completed, (await FindAsync(key))?.Status);
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner(), "sha256:1111")).Status);
    }

    [Fact]
    public async Task Remove_InProgress_ANewClaimAcquiresAndFencesTheOldOwner()
    {
        var key = NewKey();
        var old = NewOwner();
        var next = NewOwner();
        await ClaimAsync(key, old);

        Assert.True(await RemoveAsync(key));
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, next)).Status);

        Assert.False(await CompleteAsync(key, old));
        Assert.True(await CompleteAsync(key, next));
        Assert.Equal(DedupRecordStatus.Completed, (await FindAsync(key))?.Status);
    }

    [Fact]
    public async Task CheckReady_WhenServing_Succeeds()
    {
        await Store.CheckReadyAsync(CancellationToken.None);
    }

    /// <summary>
    /// Claims of <paramref name="key"/> by distinct owners, each asking for a lease of its own, released together:
    /// each waits at a barrier on a thread of its own (pool threads blocked at a gate would be let in one by one), so
    /// the claims overlap on the store. Contender i claims through <paramref name="storeOf"/>(i), <see cref="Store"/>
    /// when not given.
    /// </summary>
    protected async Task<(ClaimRequest Request, ClaimResult Answer)[]> RaceClaimsAsync(string key, Func<int, IDedupStore>? storeOf = null)
    {
        var now = Clock.GetUtcNow();
        var requests = Enumerable.Range(1, Contenders)
            .Select(i => new ClaimRequest(key, NewOwner(), Fingerprint, now, now + Lease + TimeSpan.FromSeconds(i)))
            .ToArray();
        using var start = new Barrier(Contenders);
        var claims = requests.Select((request, i) => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                return (storeOf?.Invoke(i) ?? Store).TryClaimAsync(request, CancellationToken.None).AsTask();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap());

        var answers = await Task.WhenAll(claims);

        return [.. requests.Zip(answers)];
    }

    protected static void AssertOneWinnerAndEveryOtherSeesItsLease((ClaimRequest Request, ClaimResult Answer)[] race)
    {
        var winner = Assert.Single(race, r => r.Answer.Status == ClaimStatus.Acquired);
        var expected = ClaimResult.InProgress(winner.Request.LeaseExpiresAt);
        Assert.All(race.Where(r => r != winner), loser => Assert.Equal(expected, loser.Answer));
    }
}
