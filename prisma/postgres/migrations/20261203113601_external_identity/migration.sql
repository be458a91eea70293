-- AlterTable
ALTER TABLE "Certificate" ADD COLUMN     "externalProfileId" TEXT;

-- AlterTable
ALTER TABLE "EnrollmentToken" ADD COLUMN     "externalScepProfileId" TEXT;

-- AddForeignKey
ALTER TABLE "EnrollmentToken" ADD CONSTRAINT "EnrollmentToken_externalScepProfileId_fkey" FOREIGN KEY ("externalScepProfileId") REFERENCES "ExternalScepProfile"("id") ON DELETE SET NULL ON UPDATE CASCADE;
