using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using GenesysDedup.Domain;
using GenesysDedup.Stores.DynamoDb;
using GenesysDedup.Testing;

namespace GenesysDedup.Stores.Tests.DynamoDb;

/// <summary>The store contract against a real DynamoDB-compatible server, plus what only this adapter has: the table layout, the read-back paths and faults.</summary>
public sealed class DynamoDbStoreTests(DynamoDbTableFixture table) : DedupStoreContractTests, IClassFixture<DynamoDbTableFixture>
{
    private static readonly DateTimeOffset SubSecondNow = new(2026, 11, 27, 12, 0, 0, 250, TimeSpan.Zero);

    private readonly DynamoDbDedupStore _store = new(table.Client, table.TableName);

    protected override IDedupStore Store => _store;

    protected override TimeSpan ProcessedAtPrecision => TimeSpan.FromSeconds(1);

    [Fact]
    public async Task TryClaimAndComplete_WriteEveryAttributeOfTheLayout()
    {
        Clock.SetUtcNow(SubSecondNow);
        var key = NewKey();
        await ClaimAsync(key, "owner-1", "sha256:abcd");

        var claimed = await ReadRawAsync(key);

        Assert.Equal(["EventId", "Fingerprint", "LeaseExpiresAt", "Owner", "Status", "TTL"], claimed.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(key, claimed["EventId"].S);
        Assert.Equal("IN_PROGRESS", claimed["Status"].S);
        Assert.Equal("owner-1", claimed["Owner"].S);
        Assert.Equal("sha256:abcd", claimed["Fingerprint"].S);
        Assert.Equal((SubSecondNow + Lease).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), claimed["LeaseExpiresAt"].N);
        Assert.Equal("1795780861", claimed["TTL"].N); // 12:01:00.250 rounded up to whole seconds

        Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await CompleteAsync(key, "owner-1", fingerprint: "sha256:abcd"));

        var completed = await ReadRawAsync(key);

        Assert.Equal(["EventId", "Fingerprint", "LeaseExpiresAt", "Owner", "ProcessedAt", "Status", "TTL"], completed.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("COMPLETED", completed["Status"].S);
        Assert.Equal("owner-1", completed["Owner"].S);
        Assert.Equal("sha256:abcd", completed["Fingerprint"].S);
        Assert.Equal(claimed["LeaseExpiresAt"].N, completed["LeaseExpiresAt"].N);
        Assert.Equal("1795780805", completed["ProcessedAt"].N); // 12:00:05.250 rounded down
        Assert.Equal("1795867206", completed["TTL"].N); // a day after, rounded up
        Assert.All(completed.Where(a => a.Key is "LeaseExpiresAt" or "TTL" or "ProcessedAt"), a => Assert.Null(a.Value.S));
    }

    [Fact]
    public async Task Complete_ItemGone_CreatesTheWholeCompletedItem()
    {
        // The TTL sweeper deleted the claim while the handler ran: the UpdateItem writes every attribute of the layout.
        Clock.SetUtcNow(SubSecondNow.AddSeconds(5));
        var key = NewKey();

        Assert.True(await CompleteAsync(key, "owner-1", fingerprint: "sha256:abcd"));

        var completed = await ReadRawAsync(key);
        Assert.Equal(["EventId", "Fingerprint", "LeaseExpiresAt", "Owner", "ProcessedAt", "Status", "TTL"], completed.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("COMPLETED", completed["Status"].S);
        Assert.Equal("owner-1", completed["Owner"].S);
        Assert.Equal("sha256:abcd", completed["Fingerprint"].S);
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), completed["LeaseExpiresAt"].N);
        Assert.Equal("1795780805", completed["ProcessedAt"].N);
        Assert.Equal("1795867206", completed["TTL"].N);
    }

    [Fact]
    public async Task TryClaim_LeaseEndingMidSecond_BlocksUntilItsLastMillisecond()
    {
        Clock.SetUtcNow(SubSecondNow);
        var key = NewKey();
        await ClaimAsync(key, "first", lease: TimeSpan.FromSeconds(10));

        Clock.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        var justBefore = await ClaimAsync(key, NewOwner());
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        var atExpiry = await ClaimAsync(key, NewOwner());

        Assert.Equal(ClaimStatus.InProgress, justBefore.Status);
        Assert.Equal(ClaimStatus.Acquired, atExpiry.Status);
    }

    [Fact]
    public async Task TryClaim_RetentionEndingMidSecond_IsNeverReopenedEarly()
    {
        // TTL holds whole seconds, rounded up: the record may answer duplicate up to a second longer, never shorter.
        Clock.SetUtcNow(SubSecondNow);
        var key = NewKey();
        await ClaimAsync(key, "first");
        await CompleteAsync(key, "first", TimeSpan.FromMinutes(10));

        Clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner())).Status);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(ClaimStatus.Duplicate, (await ClaimAsync(key, NewOwner())).Status);
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync(key, NewOwner())).Status);
    }

    [Fact]
    public async Task TryClaim_WhenTheEndpointReturnsTheOldItem_JudgesItWithoutAReadBack()
    {
        // Real DynamoDB returns the blocking item with ALL_OLD; dynalite does not, so this client adds it.
        using var client = new OldItemReturningClient(DynaliteServer.Shared.ServiceUrl);

        var second = await SecondClaimAsync(client, NewKey());

        Assert.Equal(ClaimStatus.InProgress, second.Status);
        Assert.Equal(1, client.OldItemsReturned);
        Assert.Equal(0, client.GetItemCalls);
    }

    [Fact]
    public async Task TryClaim_BlockingRecordVanishesBeforeTheReadBack_ClaimsAgain()
    {
        using var client = new DeletingBeforeReadBackClient(DynaliteServer.Shared.ServiceUrl);
        var key = NewKey();

        var second = await SecondClaimAsync(client, key);

        Assert.Equal(ClaimStatus.Acquired, second.Status);
        Assert.Equal("second", (await ReadRawAsync(key))["Owner"].S);
    }

    [Fact]
    public async Task AllOperations_MissingTable_AreUnavailable()
    {
        var store = new DynamoDbDedupStore(table.Client, DynamoDbTestServer.NewTableName());

        var claim = await AssertEveryOperationUnavailableAsync(store, "k", "o");

        Assert.IsType<ResourceNotFoundException>(claim.InnerException);
    }

    [Fact]
    public async Task TryClaim_CancelledByTheCaller_IsCancellationNotUnavailability()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _store.TryClaimAsync(new ClaimRequest(NewKey(), "o", "f", SubSecondNow, SubSecondNow.AddMinutes(1)), cancelled.Token).AsTask());
    }

    public static TheoryData<string> SdkFaults => ["throughput", "request-limit", "throttling", "internal", "service-503", "http"];

    [Theory]
    [MemberData(nameof(SdkFaults))]
    public async Task AllOperations_SdkFault_AreUnavailableWrappingTheError(string fault)
    {
        using var client = new FaultingClient(DynaliteServer.Shared.ServiceUrl, () => fault switch
        {
            "throughput" => new ProvisionedThroughputExceededException("slow down"),
            "request-limit" => new RequestLimitExceededException("account limit"),
            "throttling" => new ThrottlingException("throttled"),
            "internal" => new InternalServerErrorException("oops"),
            "service-503" => new AmazonDynamoDBException("unavailable", ErrorType.Receiver, "ServiceUnavailable", "r", System.Net.HttpStatusCode.ServiceUnavailable),
            _ => new HttpRequestException("Connection refused"),
        });
        var store = new DynamoDbDedupStore(client, table.TableName);

        var claim = await AssertEveryOperationUnavailableAsync(store, "k", "o");

        Assert.NotNull(claim.InnerException);
        Assert.Contains(claim.InnerException.Message, claim.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryClaim_EndpointAcceptsButNeverAnswers_IsUnavailable()
    {
        using var silent = new SilentEndpoint();
        using var client = DynamoDbTestServer.NewClient(silent.Url);
        var store = new DynamoDbDedupStore(client, table.TableName);

        var error = await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync("k", "o", store: store));

        Assert.NotNull(error.InnerException);
    }

    [Fact]
    public async Task Outage_ServerStoppedThenRestarted_UnavailableThenTheSameClientRecovers()
    {
        await using var server = await DynaliteServer.StartDedicatedAsync();
        using var client = DynamoDbTestServer.NewClient(server.ServiceUrl);
        var tableName = DynamoDbTestServer.NewTableName();
        await DynamoDbTestServer.CreateTableAsync(client, tableName);
        var store = new DynamoDbDedupStore(client, tableName);
        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync("held", "o1", store: store)).Status);

        await server.StopAsync();

        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimAsync("next", "o2", store: store));
        await AssertEveryOperationUnavailableAsync(store, "held", "o1");

        await server.RestartAsync();
        await DynamoDbTestServer.CreateTableAsync(client, tableName); // the server kept its tables in memory only

        Assert.Equal(ClaimStatus.Acquired, (await ClaimAsync("next", "o2", store: store)).Status);
        await store.CheckReadyAsync(CancellationToken.None);
    }

    /// <summary>Owner "first" claims <paramref name="key"/> through <paramref name="client"/>, then owner "second" tries.</summary>
    private async Task<ClaimResult> SecondClaimAsync(IAmazonDynamoDB client, string key)
    {
        var store = new DynamoDbDedupStore(client, table.TableName);
        await ClaimAsync(key, "first", store: store);
        return await ClaimAsync(key, "second", store: store);
    }

    private async Task<Dictionary<string, AttributeValue>> ReadRawAsync(string key)
    {
        var response = await table.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table.TableName,
            Key = new() { ["EventId"] = new AttributeValue { S = key } },
            ConsistentRead = true,
        });
        return response.Item ?? [];
    }

    private static AmazonDynamoDBConfig ConfigFor(Uri serviceUrl) =>
        DynamoDbClientFactory.CreateConfig(DynamoDbTestServer.OptionsFor(serviceUrl), DynamoDbTestServer.NoAws);

    private static BasicAWSCredentials CredentialsFor(Uri serviceUrl) =>
        DynamoDbClientFactory.PlaceholderCredentials(DynamoDbTestServer.OptionsFor(serviceUrl), DynamoDbTestServer.NoAws)!;

    /// <summary>Behaves like real DynamoDB on a failed condition: the exception carries the blocking item.</summary>
    private sealed class OldItemReturningClient(Uri serviceUrl) : AmazonDynamoDBClient(CredentialsFor(serviceUrl), ConfigFor(serviceUrl))
    {
        private int _oldItemsReturned;
        private int _getItemCalls;

        public int OldItemsReturned => _oldItemsReturned;

        public int GetItemCalls => _getItemCalls;

        public override async Task<PutItemResponse> PutItemAsync(PutItemRequest request, CancellationToken cancellationToken = default)
        {
            try
            {
                return await base.PutItemAsync(request, cancellationToken);
            }
            catch (ConditionalCheckFailedException ex) when (ex.Item is null or { Count: 0 })
            {
                var old = await base.GetItemAsync(new GetItemRequest { TableName = request.TableName, Key = new() { ["EventId"] = request.Item["EventId"] }, ConsistentRead = true }, cancellationToken);
                Interlocked.Increment(ref _oldItemsReturned);
                throw new ConditionalCheckFailedException(ex.Message) { Item = old.Item };
            }
        }

        public override Task<GetItemResponse> GetItemAsync(GetItemRequest request, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _getItemCalls);
            return base.GetItemAsync(request, cancellationToken);
        }
    }

    /// <summary>Every data-plane call fails with the given SDK or network error, as a throttled or broken endpoint would.</summary>
    private sealed class FaultingClient(Uri serviceUrl, Func<Exception> fault) : AmazonDynamoDBClient(CredentialsFor(serviceUrl), ConfigFor(serviceUrl))
    {
        public override Task<PutItemResponse> PutItemAsync(PutItemRequest request, CancellationToken cancellationToken = default) => Task.FromException<PutItemResponse>(fault());

        public override Task<UpdateItemResponse> UpdateItemAsync(UpdateItemRequest request, CancellationToken cancellationToken = default) => Task.FromException<UpdateItemResponse>(fault());

        public override Task<DeleteItemResponse> DeleteItemAsync(DeleteItemRequest request, CancellationToken cancellationToken = default) => Task.FromException<DeleteItemResponse>(fault());

        public override Task<GetItemResponse> GetItemAsync(GetItemRequest request, CancellationToken cancellationToken = default) => Task.FromException<GetItemResponse>(fault());
    }

    /// <summary>A loopback port that accepts connections and never answers: every request runs into the client's timeout.</summary>
    private sealed class SilentEndpoint : IDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
        private readonly List<System.Net.Sockets.Socket> _accepted = [];
        private readonly Task _accepting;

        public SilentEndpoint()
        {
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public Uri Url => new($"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}/");

        public void Dispose()
        {
            _listener.Stop();
            lock (_accepted)
            {
                _accepted.ForEach(socket => socket.Dispose());
            }

            _ = _accepting.Exception; // observed: the accept loop ends when the listener stops
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync();
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }
            }
        }
    }

    /// <summary>The blocking record is deleted between the failed write and the read-back, once.</summary>
    private sealed class DeletingBeforeReadBackClient(Uri serviceUrl) : AmazonDynamoDBClient(CredentialsFor(serviceUrl), ConfigFor(serviceUrl))
    {
        private int _deleted;

        public override async Task<GetItemResponse> GetItemAsync(GetItemRequest request, CancellationToken cancellationToken = default)
        {
            if (request.ConsistentRead == true && Interlocked.Exchange(ref _deleted, 1) == 0)
            {
                await base.DeleteItemAsync(new DeleteItemRequest { TableName = request.TableName, Key = request.Key }, cancellationToken);
            }

            return await base.GetItemAsync(request, cancellationToken);
        }
    }
}
