using System.Net.Sockets;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using GenesysDedup.Domain;

namespace GenesysDedup.Stores.DynamoDb;

/// <summary>
/// DynamoDB store (docs/behaviour.md#stores) on the low-level client: one item per key in a table whose partition key is
/// <c>EventId</c>. A claim is one conditional <c>PutItem</c>; completion is an <c>UpdateItem</c> under the same
/// condition (ours, gone, or no longer holding the key); release is an owner-conditioned <c>DeleteItem</c>. A failed
/// condition is an answer, not a fault: the record that failed it
/// (returned by <c>ReturnValuesOnConditionCheckFailure=ALL_OLD</c>, or read back consistently where the endpoint
/// does not return it) is judged by <see cref="StoredRecord.Judge(ClaimRequest)"/>. Expiry is judged from stored timestamps,
/// never left to DynamoDB's TTL sweeper, which deletes items up to about 48 hours late.
/// </summary>
internal sealed class DynamoDbDedupStore : IDedupStore
{
    /// <summary>How often a claim is tried when the record that blocked it has vanished or expired before it could be read.</summary>
    internal const int MaxClaimAttempts = 3;

    /// <summary>The key <see cref="CheckReadyAsync"/> reads: never written, so the probe costs one eventually consistent read.</summary>
    internal const string ReadinessProbeKey = "genesys-dedup:readiness-probe";

    /// <summary>Where a claim may be written, and a completion too (docs/behaviour.md#claim-complete-release): over no record, our own, or one that no
    /// longer holds the key; refused only while another owner holds it.</summary>
    internal const string ClaimCondition =
        "attribute_not_exists(EventId) OR #ttl <= :nowSec OR (#status = :inProgress AND LeaseExpiresAt <= :nowMs) OR #owner = :owner";

    /// <summary>Writes every attribute, so an item that was gone (TTL-deleted while the handler ran) is created whole.</summary>
    internal const string CompleteUpdate =
        "SET #status = :completed, #owner = :owner, LeaseExpiresAt = if_not_exists(LeaseExpiresAt, :nowMs), #ttl = :ttl, ProcessedAt = :processedAt";

    private readonly IAmazonDynamoDB _client;
    private readonly string _tableName;

    /// <param name="client">The process's one DynamoDB client; its timeouts bound every call.</param>
    /// <param name="tableName">A table whose partition key is <c>EventId</c> (S).</param>
    public DynamoDbDedupStore(IAmazonDynamoDB client, string tableName)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        _client = client;
        _tableName = tableName;
    }

    /// <summary>The table this store reads and writes.</summary>
    public string TableName => _tableName;

    public async ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(request.Key, nameof(request));
        ArgumentException.ThrowIfNullOrEmpty(request.Owner, nameof(request));

        var put = BuildClaim(request);
        for (var attempt = 1; attempt <= MaxClaimAttempts; attempt++)
        {
            var blocker = await PutClaimAsync(put, request.Key, cancellationToken).ConfigureAwait(false);
            if (blocker is null)
            {
                return ClaimResult.Acquired;
            }

            if (blocker.Count == 0)
            {
                // The endpoint did not return the record that failed the condition (dynalite does not): read it.
                blocker = await ReadAsync(request.Key, consistent: true, "claim read-back", cancellationToken).ConfigureAwait(false);
            }

            if (blocker.Count > 0)
            {
                var record = DedupTable.ToRecord(blocker)
                    ?? throw new DedupStoreUnavailableException($"DynamoDB table '{_tableName}' holds an item for key '{request.Key}' that is not in the GenesysDedup layout.");
                var found = record.Judge(request);
                if (found.Status != ClaimStatus.Acquired)
                {
                    return found;
                }
            }

            // The record that blocked the write vanished or expired before it was read: claim again.
        }

        throw new DedupStoreUnavailableException($"DynamoDB claim of key '{request.Key}' did not settle after {MaxClaimAttempts} attempts.");
    }

    public async ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(request.Key, nameof(request));
        ArgumentException.ThrowIfNullOrEmpty(request.Owner, nameof(request));

        var values = ConditionValues(request.Now, request.Owner);
        values[":completed"] = DedupTable.String(RecordStatus.Completed);
        values[":ttl"] = DedupTable.Number(DedupTable.EpochSecondsCeiling(request.ExpiresAt));
        values[":processedAt"] = DedupTable.Number(request.Now.ToUnixTimeSeconds());
        var updateExpression = CompleteUpdate;
        var names = ConditionNames();
        names["#trace"] = DedupTable.TraceParent;
        if (!string.IsNullOrEmpty(request.Fingerprint))
        {
            updateExpression += ", Fingerprint = :fingerprint";
            values[":fingerprint"] = DedupTable.String(request.Fingerprint);
        }

        if (!string.IsNullOrEmpty(request.TraceParent))
        {
            updateExpression += ", #trace = :traceParent";
            values[":traceParent"] = DedupTable.String(request.TraceParent);
        }
        else
        {
            updateExpression += " REMOVE #trace"; // not another delivery's, when it wrote over an expired record
        }

        var update = new UpdateItemRequest
        {
            TableName = _tableName,
            Key = DedupTable.Key(request.Key),
            UpdateExpression = updateExpression,
            ConditionExpression = ClaimCondition,
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
        };

        return await OwnerCheckedWriteAsync(ct => _client.UpdateItemAsync(update, ct), "complete", cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(owner);

        var delete = new DeleteItemRequest
        {
            TableName = _tableName,
            Key = DedupTable.Key(key),
            ConditionExpression = "#owner = :owner",
            ExpressionAttributeNames = new Dictionary<string, string>(StringComparer.Ordinal) { ["#owner"] = DedupTable.Owner },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal) { [":owner"] = DedupTable.String(owner) },
        };

        return await OwnerCheckedWriteAsync(ct => _client.DeleteItemAsync(delete, ct), "release", cancellationToken).ConfigureAwait(false);
    }

    // An owner-checked write: true when it landed; false when its condition found the record gone or another
    // owner's (an expected answer, so the SDK's exception becomes a value here and goes no further).
    private async ValueTask<bool> OwnerCheckedWriteAsync(Func<CancellationToken, Task> write, string operation, CancellationToken cancellationToken)
    {
        try
        {
            await write(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
        catch (Exception ex) when (IsFault(ex, cancellationToken))
        {
            throw Unavailable(operation, ex);
        }
    }

    /// <summary>One eventually consistent <c>GetItem</c> of a key that is never written: proves the endpoint, the credentials and the table.</summary>
    public async ValueTask CheckReadyAsync(CancellationToken cancellationToken)
    {
        _ = await ReadAsync(ReadinessProbeKey, consistent: false, "readiness check", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One consistent <c>GetItem</c>, judged from its stored times (an item TTL has not deleted yet may be expired).</summary>
    public async ValueTask<DedupRecord?> FindAsync(string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var item = await ReadAsync(key, consistent: true, "look-up", cancellationToken).ConfigureAwait(false);
        if (item.Count == 0)
        {
            return null;
        }

        var record = DedupTable.ToRecord(item)
            ?? throw new DedupStoreUnavailableException($"DynamoDB table '{_tableName}' holds an item for key '{key}' that is not in the GenesysDedup layout.");
        return DedupRecord.From(record, now);
    }

    /// <summary>One unconditional <c>DeleteItem</c> returning the old item, which says whether it still held the key.</summary>
    public async ValueTask<bool> RemoveAsync(string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var delete = new DeleteItemRequest
        {
            TableName = _tableName,
            Key = DedupTable.Key(key),
            ReturnValues = ReturnValue.ALL_OLD,
        };

        DeleteItemResponse response;
        try
        {
            response = await _client.DeleteItemAsync(delete, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsFault(ex, cancellationToken))
        {
            throw Unavailable("remove", ex);
        }

        if (response.Attributes is not { Count: > 0 } old)
        {
            return false;
        }

        // An item not in this layout blocked every claim of the key: removing it reopens the key too.
        return DedupTable.ToRecord(old) is not { } record || record.IsLive(now);
    }

    private PutItemRequest BuildClaim(ClaimRequest request)
    {
        var item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
        {
            [DedupTable.EventId] = DedupTable.String(request.Key),
            [DedupTable.Status] = DedupTable.String(RecordStatus.InProgress),
            [DedupTable.Owner] = DedupTable.String(request.Owner),
            [DedupTable.LeaseExpiresAt] = DedupTable.Number(DedupTable.EpochMillisecondsCeiling(request.LeaseExpiresAt)),
            [DedupTable.Ttl] = DedupTable.Number(DedupTable.EpochSecondsCeiling(request.LeaseExpiresAt)),
        };
        if (!string.IsNullOrEmpty(request.Fingerprint))
        {
            item[DedupTable.Fingerprint] = DedupTable.String(request.Fingerprint);
        }

        if (!string.IsNullOrEmpty(request.TraceParent))
        {
            item[DedupTable.TraceParent] = DedupTable.String(request.TraceParent);
        }

        return new PutItemRequest
        {
            TableName = _tableName,
            Item = item,
            ConditionExpression = ClaimCondition,
            ExpressionAttributeNames = ConditionNames(),
            ExpressionAttributeValues = ConditionValues(request.JudgedAt, request.Owner),
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };
    }

    /// <summary>The names <see cref="ClaimCondition"/> uses.</summary>
    private static Dictionary<string, string> ConditionNames() => new(StringComparer.Ordinal)
    {
        ["#ttl"] = DedupTable.Ttl,
        ["#status"] = DedupTable.Status,
        ["#owner"] = DedupTable.Owner,
    };

    /// <summary>The values <see cref="ClaimCondition"/> uses, judged at <paramref name="now"/> for <paramref name="owner"/>.</summary>
    private static Dictionary<string, AttributeValue> ConditionValues(DateTimeOffset now, string owner) => new(StringComparer.Ordinal)
    {
        [":nowSec"] = DedupTable.Number(now.ToUnixTimeSeconds()),
        [":nowMs"] = DedupTable.Number(now.ToUnixTimeMilliseconds()),
        [":inProgress"] = DedupTable.String(RecordStatus.InProgress),
        [":owner"] = DedupTable.String(owner),
    };

    /// <summary>Writes the claim: null when it was written, else the record that failed the condition (empty when the endpoint did not return it).</summary>
    private async Task<Dictionary<string, AttributeValue>?> PutClaimAsync(PutItemRequest put, string key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.PutItemAsync(put, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (ConditionalCheckFailedException ex)
        {
            return ex.Item ?? [];
        }
        catch (Exception ex) when (IsFault(ex, cancellationToken))
        {
            throw Unavailable($"claim of '{key}'", ex);
        }
    }

    /// <summary>Reads one item; empty when there is none.</summary>
    private async Task<Dictionary<string, AttributeValue>> ReadAsync(string key, bool consistent, string operation, CancellationToken cancellationToken)
    {
        var get = new GetItemRequest
        {
            TableName = _tableName,
            Key = DedupTable.Key(key),
            ConsistentRead = consistent,
        };

        try
        {
            var response = await _client.GetItemAsync(get, cancellationToken).ConfigureAwait(false);
            return response.Item ?? [];
        }
        catch (Exception ex) when (IsFault(ex, cancellationToken))
        {
            throw Unavailable(operation, ex);
        }
    }

    /// <summary>
    /// Whether an exception means the store could not answer: any SDK error (throttling, 5xx, missing table, bad
    /// credentials), the network, or a timeout. A cancellation the caller asked for is not a fault and propagates.
    /// </summary>
    internal static bool IsFault(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AmazonServiceException or AmazonClientException => true,
        HttpRequestException or IOException or SocketException or TimeoutException => true,
        _ => false,
    };

    private DedupStoreUnavailableException Unavailable(string operation, Exception exception) =>
        new($"DynamoDB {operation} on table '{_tableName}' failed: {exception.Message}", exception);
}
