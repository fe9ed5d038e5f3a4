package console

// AWS Lambda's public on-demand prices the usage page estimates with: US
// East (N. Virginia), x86, the first duration tier, without the free tier
// (1 million requests and 400,000 GB-seconds a month). Flint charges
// nothing; the figure says what the same use would cost there.
const (
	awsPriceRegion      = "US East (N. Virginia), x86, first tier, free tier not deducted"
	awsPriceDate        = "2025-01"
	awsPricePerMillion  = 0.20         // USD per million requests
	awsPricePerGBSecond = 0.0000166667 // USD per GB-second
	awsPriceSource      = "aws.amazon.com/lambda/pricing"
)

// awsCost is what requests and GB-seconds would cost on AWS Lambda, in
// USD.
func awsCost(requests uint64, gbSeconds float64) float64 {
	return float64(requests)/1e6*awsPricePerMillion + gbSeconds*awsPricePerGBSecond
}
