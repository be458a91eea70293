-- AlterTable
ALTER TABLE "ScepChallenge" ADD COLUMN     "userId" TEXT;

-- AlterTable
ALTER TABLE "Certificate" ADD COLUMN     "enrollmentTokenId" TEXT,
ADD COLUMN     "userId" TEXT;

-- AlterTable
ALTER TABLE "EnrollmentToken" ADD COLUMN     "jwtEnc" TEXT;
